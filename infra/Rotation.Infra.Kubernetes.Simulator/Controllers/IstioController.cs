using System.Text.Json.Nodes;
using Org.BouncyCastle.X509;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// istiod with a plug-in CA (istio-system/cacerts), following istio/istio's pilot/pkg/bootstrap/istio_ca.go for the
/// release its Deployment's image tag names (<see cref="IstiodRelease"/>; untagged images behave as 1.26.2).
/// <list type="bullet">
/// <item>Start (and every pod-template change, i.e. a restart): createIstioCA. With a complete bundle it loads the
/// files and starts the cacerts watcher (initCACertsAndCRLWatcher); without one it runs a self-signed CA and never
/// watches the folder (<see cref="WatchesCacerts"/> false) until the next restart.</item>
/// <item>The folder is the secret as kubelet mounted it: a change reaches istiod <see cref="MountedFileDelay"/> after
/// the API write (kubelet's sync period plus its cache, about a minute on a real node), then handleEvent runs.</item>
/// <item>handleEvent: detectSigningCABundleAndCRL (tls.crt takes precedence: then tls.crt/tls.key/ca.crt are the
/// files), the root-cert.pem rule of the release, the CRL check of VerifyAndSetAll from 1.27 (every certificate of the
/// chain must have signed a CRL in ca-crl.pem, security/pkg/pki/util/keycertbundle.go Verify), and the chain check.
/// Any refusal keeps the old CA (<see cref="CaLoadError"/> says why, in istiod's words).</item>
/// <item>Publishing (pilot/pkg/serviceregistry/kube/controller/namespacecontroller.go, run by the leader only, and
/// security/pkg/k8s/configutil.go insertData): the exact root-cert.pem bytes it loaded go to ConfigMap
/// istio-ca-root-cert (label istio.io/config=true) in every namespace but kube-public, kube-node-lease and
/// local-path-storage (kube-system too from 1.21), written only when they differ.</item>
/// <item>Replicas: the Deployment's spec.replicas istiods each mount cacerts and load it on their own (each after its
/// mounted-file delay, <see cref="DelayReplica"/> makes one lag); replica 0 is the leader that publishes. Each shows
/// what it loaded on its monitoring port (<see cref="IstiodMetrics"/>), reached by port-forward to its pod.</item>
/// <item>Proxies: every meshed pod's agent and Envoy (<see cref="IstioProxyAgents"/>), whose admin config_dump is
/// served through port-forward on 15000 (<see cref="EnvoyAdminDump"/>).</item>
/// </list>
/// </summary>
public sealed class IstioController : SimulatedMeshController
{
    private static readonly HashSet<string> IgnoredNamespaces = new(StringComparer.Ordinal) { "kube-public", "kube-node-lease", "local-path-storage" };
    private readonly object _lock = new();
    private readonly List<Replica> _replicas = [new()];
    private readonly Dictionary<int, TimeSpan> _replicaDelays = [];
    private readonly IstioProxyAgents _agents = new();
    private string? _istiodTemplateHash;
    private string? _startingHash;

    /// <summary>One istiod process: what it loaded from its mounted cacerts.</summary>
    private sealed class Replica
    {
        public LoadedSigningCa? LoadedCa;
        public string? CaLoadError;
        public string? HeldRoot;
        public string? HeldChain;
        public string? HeldCrl;
        public string? LastDecision;
        public bool Watching;
        public int Reloads;
        public string? MountedVersion;
        public string? PendingVersion;
        public DateTimeOffset PendingSince;
    }

    public IstioController(KubeObjectStore store, MeshControllerOptions? options = null, IstioLayout? layout = null)
        : base(store, options)
    {
        Layout = layout ?? IstioLayout.Upstream;
    }

    /// <summary>Where this istiod runs and which secret its /etc/cacerts shows (upstream Istio or the AKS add-on).</summary>
    public IstioLayout Layout { get; }

    /// <summary>How long after a cacerts write the mounted files change (kubelet sync); zero by default for fast tests.</summary>
    public TimeSpan MountedFileDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Istio's DEFAULT_WORKLOAD_CERT_TTL (24 h): the simulated agents refresh their certificate at half of it.</summary>
    public TimeSpan WorkloadCertTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The plug-in CA the leader signs workload certificates with (for a drill's simulated workloads).</summary>
    public LoadedSigningCa? LoadedCa => Leader(r => r.LoadedCa);

    /// <summary>The root-cert.pem text the leader holds and publishes.</summary>
    public string? HeldRootCertPem => Leader(r => r.HeldRoot);

    /// <summary>Why the current cacerts were refused by the leader (it keeps the previous CA), or null.</summary>
    public string? CaLoadError => Leader(r => r.CaLoadError);

    /// <summary>What the leader did with cacerts on its last pass, in istiod's terms (for drill reports).</summary>
    public string? LastDecision => Leader(r => r.LastDecision);

    /// <summary>Whether the leader watches /etc/cacerts (it started with a complete plug-in bundle).</summary>
    public bool WatchesCacerts => Leader(r => r.Watching);

    /// <summary>How many times the leader loaded cacerts in place (handleEvent reached "Istiod certificates are reloaded").</summary>
    public int InPlaceReloads => Leader(r => r.Reloads);

    /// <summary>The root-cert.pem each replica holds, by ordinal (the leader first).</summary>
    public IReadOnlyList<string?> ReplicaRootCertPems
    {
        get
        {
            lock (_lock)
                return _replicas.Select(r => r.HeldRoot).ToList();
        }
    }

    /// <summary>The CA each replica signs with, by ordinal.</summary>
    public IReadOnlyList<LoadedSigningCa?> ReplicaCas
    {
        get
        {
            lock (_lock)
                return _replicas.Select(r => r.LoadedCa).ToList();
        }
    }

    /// <summary>What each meshed pod's Envoy trusts now (its ROOTCA), by "namespace/pod".</summary>
    public IReadOnlyDictionary<string, string> ProxyRootCas
    {
        get
        {
            lock (_lock)
                return _agents.RootCas();
        }
    }

    /// <summary>Makes replica <paramref name="ordinal"/> see cacerts changes <paramref name="extra"/> later than the others (a slow kubelet).</summary>
    public void DelayReplica(int ordinal, TimeSpan extra)
    {
        lock (_lock)
            _replicaDelays[ordinal] = extra;
        WakeAfter(TimeSpan.Zero);
    }

    /// <summary>The release the istiod Deployment runs now.</summary>
    public IstiodRelease Release => IstiodRelease.FromImage(Image(Store.TryGet(ResourceKinds.Deployments, Layout.Namespace, Layout.IstiodDeployment)));

    protected override bool IsRelevant(ObjectChangedEventArgs change) =>
        (change.Kind == ResourceKinds.Secrets && change.Namespace == Layout.Namespace && change.Name == Layout.CaSecret)
        || (change.Kind == ResourceKinds.Deployments && change.Namespace == Layout.Namespace && change.Name == Layout.IstiodDeployment)
        || (change.Kind == ResourceKinds.Namespaces && change.Type == ObjectChangeType.Added)
        || (change.Kind == ResourceKinds.ConfigMaps && change.Name == IstioNames.RootConfigMap && change.Type != ObjectChangeType.Added)
        || (change.Kind == ResourceKinds.ConfigMaps && change.Namespace == Layout.Namespace && change.Name == Layout.MeshConfigMap)
        || change.Kind == ResourceKinds.Pods;

    protected override void Reconcile()
    {
        lock (_lock)
        {
            var istiod = Store.TryGet(ResourceKinds.Deployments, Layout.Namespace, Layout.IstiodDeployment);
            if (istiod is null)
                return;
            var templateHash = WorkloadController.TemplateHash(istiod["spec"]?["template"]);
            var caSecret = Store.TryGet(ResourceKinds.Secrets, Layout.Namespace, Layout.CaSecret);
            var release = IstiodRelease.FromImage(Image(istiod));
            var replicas = istiod["spec"]?["replicas"] is null ? 1 : Math.Max(1, (int)KubeObjects.LongAt(istiod["spec"]!["replicas"]));
            if (templateHash != _istiodTemplateHash && templateHash != _startingHash)
            {
                // A new istiod pod takes a moment to start: it reads /etc/cacerts one pass later (the old one keeps serving).
                _startingHash = templateHash;
                WakeAfter(TimeSpan.Zero);
            }
            else if (templateHash != _istiodTemplateHash)
            {
                _istiodTemplateHash = templateHash;
                _replicas.Clear();
                for (var i = 0; i < replicas; i++)
                {
                    _replicas.Add(new Replica());
                    Start(_replicas[i], caSecret, istiod, release);
                }
            }
            else
            {
                while (_replicas.Count < replicas)
                {
                    _replicas.Add(new Replica());
                    Start(_replicas[^1], caSecret, istiod, release);
                }

                if (_replicas.Count > replicas)
                    _replicas.RemoveRange(replicas, _replicas.Count - replicas);
                for (var i = 0; i < _replicas.Count; i++)
                {
                    if (_replicas[i].Watching && caSecret is not null && Mounted(_replicas[i], i, caSecret))
                        HandleEvent(_replicas[i], caSecret, istiod, release);
                }
            }

            if (_replicas[0].HeldRoot is { } root)
                Publish(root, release);
            var refresh = _agents.Sync(Store, _replicas.Select(r => r.HeldRoot).ToList(), MultiRoot(istiod), MeshPcds(), WorkloadCertTtl, Time.GetUtcNow());
            if (refresh is { } due)
                WakeAfter(due);
        }
    }

    /// <summary>
    /// Serves what listens inside istiod and proxy pods, for the API server's port-forward: Envoy's admin config_dump
    /// on 15000 of a meshed pod, and /metrics on 15014 of an istiod pod (replica ordinal = its place among the istiod
    /// pods sorted by name).
    /// </summary>
    public PodHttpAnswerText? ServePort(string @namespace, string pod, int port, string pathAndQuery)
    {
        lock (_lock)
        {
            if (port == 15000 && pathAndQuery.StartsWith("/config_dump", StringComparison.Ordinal))
                return _agents.ConfigDump(@namespace, pod) is { } dump ? new PodHttpAnswerText("application/json", dump) : null;
            if (port == IstiodMetrics.MonitoringPort && @namespace == Layout.Namespace && pathAndQuery.StartsWith("/metrics", StringComparison.Ordinal))
            {
                var ordinal = IstiodPodNames().IndexOf(pod);
                if (ordinal < 0 || ordinal >= _replicas.Count)
                    return null;
                return new PodHttpAnswerText("text/plain; version=0.0.4", IstiodMetrics.Text(_replicas[ordinal].HeldRoot, _replicas[ordinal].HeldChain));
            }

            return null;
        }
    }

    /// <summary>The istiod pods in name order: replica ordinal i is the i-th.</summary>
    public List<string> IstiodPodNames() =>
        Store.List(ResourceKinds.Pods, Layout.Namespace, p => KubeObjects.Labels(p).GetValueOrDefault("app") == Layout.IstiodDeployment)
            .Items.Select(p => KubeObjects.Name(p)!).Order(StringComparer.Ordinal).ToList();

    private T Leader<T>(Func<Replica, T> read)
    {
        lock (_lock)
            return read(_replicas[0]);
    }

    private bool MeshPcds()
    {
        var mesh = Store.TryGet(ResourceKinds.ConfigMaps, Layout.Namespace, Layout.MeshConfigMap);
        var text = mesh is null ? null : KubeObjects.ConfigMapText(mesh, IstioNames.MeshConfigKey);
        var m = text is null ? null : System.Text.RegularExpressions.Regex.Match(text, IstioNames.PcdsEnv + @":\s*""?([^""\s]*)""?");
        return m is { Success: true } && IstioProxyAgents.GoBool(m.Groups[1].Value) == true;
    }

    /// <summary>A replica's watcher sees a secret version once it has been mounted for <see cref="MountedFileDelay"/> (plus its own lag).</summary>
    private bool Mounted(Replica replica, int ordinal, JsonObject caSecret)
    {
        var version = KubeObjects.ResourceVersion(caSecret);
        if (version == replica.MountedVersion)
            return false;
        var now = Time.GetUtcNow();
        if (version != replica.PendingVersion)
        {
            replica.PendingVersion = version;
            replica.PendingSince = now;
        }

        var due = replica.PendingSince + MountedFileDelay + _replicaDelays.GetValueOrDefault(ordinal);
        if (now < due)
        {
            WakeAfter(due - now);
            return false;
        }

        replica.MountedVersion = version;
        return true;
    }

    private void Start(Replica replica, JsonObject? caSecret, JsonObject istiod, IstiodRelease release)
    {
        replica.MountedVersion = caSecret is null ? null : KubeObjects.ResourceVersion(caSecret);
        var files = caSecret is null ? null : CaFiles.Detect(caSecret);
        if (files is not { Complete: true })
        {
            // createIstioCA: an incomplete plug-in bundle at start means a self-signed CA and no cacerts watcher.
            replica.Watching = false;
            var selfSigned = SelfSignedCa();
            replica.LoadedCa = selfSigned;
            replica.HeldRoot = selfSigned.Roots.ToPem();
            replica.HeldChain = null;
            replica.LastDecision = "Use self-signed certificate as the CA certificate (no complete cacerts at start; not watching cacerts)";
            return;
        }

        var crl = release.ReadsCrl && CrlEnabled(istiod) ? files.Crl : null;
        Load(replica, files, crl, "loaded cacerts at startup");
        replica.Watching = true;
    }

    private void HandleEvent(Replica replica, JsonObject caSecret, JsonObject istiod, IstiodRelease release)
    {
        var files = CaFiles.Detect(caSecret);
        if (files.Root is null)
        {
            Refuse(replica, "failed reading root-cert.pem");
            return;
        }

        var crl = release.ReadsCrl && CrlEnabled(istiod) ? files.Crl : null;
        var refusal = release.RootCertRefusal(replica.HeldRoot ?? "", files.Root, MultiRoot(istiod), crlChanged: crl != replica.HeldCrl);
        if (refusal is not null)
        {
            Refuse(replica, refusal);
            return;
        }

        if (Load(replica, files, crl, "Istiod certificates are reloaded"))
            replica.Reloads++;
    }

    private static void Refuse(Replica replica, string line)
    {
        replica.CaLoadError = line + ": istiod keeps the old CA until it restarts";
        replica.LastDecision = line;
    }

    /// <summary>VerifyAndSetAll: the chain must verify against root-cert.pem, and with a CRL every chain certificate must have signed one.</summary>
    private bool Load(Replica replica, CaFiles files, string? crl, string decision)
    {
        var (loaded, error) = SigningCaLoader.Load(files.SigningCert is null ? null : files.SigningCert.TrimEnd() + "\n" + (files.Chain ?? ""), files.Key, files.Root, Time.GetUtcNow(), $"secret {Layout.Namespace}/{Layout.CaSecret}");
        if (loaded is not null && crl is not null && MissingCrlSigners(crl, files.Chain ?? files.SigningCert!) is { Count: > 0 } missing)
        {
            (loaded, error) = (null, $"Failed to update new Plug-in CA certs: missing CRL signed by certificates: [{string.Join(" ", missing)}]");
        }

        replica.CaLoadError = error;
        if (loaded is null)
        {
            replica.LastDecision = "refused cacerts: " + error;
            return false;
        }

        replica.LoadedCa = loaded;
        replica.HeldRoot = files.Root;
        replica.HeldChain = files.Chain ?? files.SigningCert;
        replica.HeldCrl = crl;
        replica.LastDecision = decision;
        return true;
    }

    private static List<string> MissingCrlSigners(string crlPem, string chainPem)
    {
        List<X509Crl> crls;
        try
        {
            crls = new X509CrlParser().ReadCrls(System.Text.Encoding.ASCII.GetBytes(crlPem)).ToList();
        }
#pragma warning disable CA1031 // istiod fails the load on an unparsable CRL; so does the simulator.
        catch (Exception)
#pragma warning restore CA1031
        {
            crls = [];
        }

        var missing = new List<string>();
        foreach (var certificate in Pem.ReadCertificates(chainPem))
        {
            var key = new X509CertificateParser().ReadCertificate(certificate.Der.ToArray()).GetPublicKey();
            if (!crls.Any(c => Verifies(c, key)))
                missing.Add(certificate.Subject);
        }

        return missing;
    }

    private static bool Verifies(X509Crl crl, Org.BouncyCastle.Crypto.AsymmetricKeyParameter key)
    {
        try
        {
            crl.Verify(key);
            return true;
        }
#pragma warning disable CA1031 // A bad signature is a "no".
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private LoadedSigningCa SelfSignedCa()
    {
        var now = Time.GetUtcNow();
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var root = CertificateFactory.CreateRoot(new RootCaRequest("O=cluster.local", now - TimeSpan.FromMinutes(1), now + TimeSpan.FromDays(3650)), key);
        var ca = new CertificateWithKey(root, key);
        return new LoadedSigningCa(ca, [root], TrustBundle.Of(root));
    }

    private static string? Image(JsonObject? istiod) =>
        (istiod?["spec"]?["template"]?["spec"]?["containers"] as JsonArray)?.OfType<JsonObject>().Select(c => KubeObjects.StringAt(c, "image")).FirstOrDefault(i => i is not null);

    private static string? Env(JsonObject? istiod, string name) =>
        (istiod?["spec"]?["template"]?["spec"]?["containers"] as JsonArray)?
            .SelectMany(c => (c?["env"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .LastOrDefault(e => KubeObjects.StringAt(e, "name") == name) is { } env ? KubeObjects.StringAt(env, "value") : null;

    /// <summary>pilot/pkg/features/pilot.go: ISTIO_MULTIROOT_MESH read with Go's strconv.ParseBool, default false.</summary>
    private static bool MultiRoot(JsonObject? istiod) => ParseGoBool(Env(istiod, IstioNames.MultiRootEnv)) ?? false;

    /// <summary>pilot/pkg/features/pilot.go: PILOT_ENABLE_CA_CRL, default true.</summary>
    private static bool CrlEnabled(JsonObject? istiod) => ParseGoBool(Env(istiod, "PILOT_ENABLE_CA_CRL")) ?? true;

    private static bool? ParseGoBool(string? value) => IstioProxyAgents.GoBool(value);

    private void Publish(string root, IstiodRelease release)
    {
        foreach (var ns in Store.List(ResourceKinds.Namespaces).Items.Select(n => KubeObjects.Name(n)!))
        {
            if (IgnoredNamespaces.Contains(ns) || (ns == "kube-system" && !release.PublishesToKubeSystem))
                continue;
            var existing = Store.TryGet(ResourceKinds.ConfigMaps, ns, IstioNames.RootConfigMap);
            if (existing is not null && KubeObjects.StringAt(existing["data"], IstioNames.RootCertKey) == root
                && KubeObjects.Labels(existing).TryGetValue(IstioNames.ConfigLabel, out var label) && label == "true")
                continue;
            try
            {
                Store.Upsert(ResourceKinds.ConfigMaps, ns, IstioNames.RootConfigMap, current =>
                {
                    var configMap = current ?? KubeObjects.New(ResourceKinds.ConfigMaps, ns, IstioNames.RootConfigMap);
                    var labels = KubeObjects.Metadata(configMap)["labels"] as JsonObject ?? [];
                    labels[IstioNames.ConfigLabel] = "true";
                    KubeObjects.Metadata(configMap)["labels"] = labels.DeepClone();
                    configMap["data"] = new JsonObject { [IstioNames.RootCertKey] = root };
                    return configMap;
                }, WriteScope.All);
            }
            catch (KubeApiException e) when (e.Code == 404)
            {
                // The namespace went away during the pass.
            }
        }
    }

    /// <summary>detectSigningCABundleAndCRL: the tls.crt format wins when tls.crt exists; ca-crl.pem is optional.</summary>
    private sealed record CaFiles(string? SigningCert, string? Key, string? Chain, string? Root, string? Crl)
    {
        public bool Complete => SigningCert is not null && Key is not null && Root is not null && Chain is not null;

        public static CaFiles Detect(JsonObject secret)
        {
            var tls = KubeObjects.SecretText(secret, "tls.crt");
            if (tls is not null)
            {
                var ca = KubeObjects.SecretText(secret, "ca.crt");
                return new CaFiles(tls, KubeObjects.SecretText(secret, "tls.key"), tls.TrimEnd() + "\n" + ca, ca, null);
            }

            return new CaFiles(
                KubeObjects.SecretText(secret, IstioNames.CaCertKey),
                KubeObjects.SecretText(secret, IstioNames.CaKeyKey),
                KubeObjects.SecretText(secret, IstioNames.CertChainKey),
                KubeObjects.SecretText(secret, IstioNames.RootCertKey),
                KubeObjects.SecretText(secret, "ca-crl.pem"));
        }
    }
}

/// <summary>A pod port's answer body and its content type.</summary>
public sealed record PodHttpAnswerText(string ContentType, string Body);

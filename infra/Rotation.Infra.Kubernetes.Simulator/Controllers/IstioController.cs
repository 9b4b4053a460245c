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
/// local-path-storage (kube-system too from 1.21), written only when they differ. This simulator runs one istiod;
/// the leader is that one.</item>
/// </list>
/// </summary>
public sealed class IstioController : SimulatedMeshController
{
    private static readonly HashSet<string> IgnoredNamespaces = new(StringComparer.Ordinal) { "kube-public", "kube-node-lease", "local-path-storage" };
    private readonly object _lock = new();
    private LoadedSigningCa? _loadedCa;
    private string? _caLoadError;
    private string? _heldRoot;
    private string? _heldCrl;
    private string? _istiodTemplateHash;
    private string? _startingHash;
    private string? _lastDecision;
    private bool _watching;
    private int _reloads;
    private string? _mountedVersion;
    private string? _pendingVersion;
    private DateTimeOffset _pendingSince;

    public IstioController(KubeObjectStore store, MeshControllerOptions? options = null)
        : base(store, options)
    {
    }

    /// <summary>How long after a cacerts write the mounted files change (kubelet sync); zero by default for fast tests.</summary>
    public TimeSpan MountedFileDelay { get; set; } = TimeSpan.Zero;

    /// <summary>The plug-in CA istiod signs workload certificates with (for a drill's simulated workloads).</summary>
    public LoadedSigningCa? LoadedCa => Volatile.Read(ref _loadedCa);

    /// <summary>The root-cert.pem text istiod holds and publishes.</summary>
    public string? HeldRootCertPem => Volatile.Read(ref _heldRoot);

    /// <summary>Why the current cacerts were refused (istiod keeps the previous CA), or null.</summary>
    public string? CaLoadError => Volatile.Read(ref _caLoadError);

    /// <summary>What istiod did with cacerts on its last pass, in its own terms (for drill reports).</summary>
    public string? LastDecision => Volatile.Read(ref _lastDecision);

    /// <summary>Whether istiod watches /etc/cacerts (it started with a complete plug-in bundle).</summary>
    public bool WatchesCacerts => Volatile.Read(ref _watching);

    /// <summary>How many times istiod loaded cacerts in place (handleEvent reached "Istiod certificates are reloaded").</summary>
    public int InPlaceReloads => Volatile.Read(ref _reloads);

    /// <summary>The release the istiod Deployment runs now.</summary>
    public IstiodRelease Release => IstiodRelease.FromImage(Image(Store.TryGet(ResourceKinds.Deployments, IstioNames.Namespace, IstioNames.IstiodDeployment)));

    protected override bool IsRelevant(ObjectChangedEventArgs change) =>
        (change.Kind == ResourceKinds.Secrets && change.Namespace == IstioNames.Namespace && change.Name == IstioNames.CaSecret)
        || (change.Kind == ResourceKinds.Deployments && change.Namespace == IstioNames.Namespace && change.Name == IstioNames.IstiodDeployment)
        || (change.Kind == ResourceKinds.Namespaces && change.Type == ObjectChangeType.Added)
        || (change.Kind == ResourceKinds.ConfigMaps && change.Name == IstioNames.RootConfigMap && change.Type != ObjectChangeType.Added);

    protected override void Reconcile()
    {
        lock (_lock)
        {
            var istiod = Store.TryGet(ResourceKinds.Deployments, IstioNames.Namespace, IstioNames.IstiodDeployment);
            if (istiod is null)
                return;
            var templateHash = WorkloadController.TemplateHash(istiod["spec"]?["template"]);
            var caSecret = Store.TryGet(ResourceKinds.Secrets, IstioNames.Namespace, IstioNames.CaSecret);
            var release = IstiodRelease.FromImage(Image(istiod));
            if (templateHash != _istiodTemplateHash && templateHash != _startingHash)
            {
                // A new istiod pod takes a moment to start: it reads /etc/cacerts one pass later (the old one keeps serving).
                _startingHash = templateHash;
                WakeAfter(TimeSpan.Zero);
            }
            else if (templateHash != _istiodTemplateHash)
            {
                _istiodTemplateHash = templateHash;
                Start(caSecret, istiod, release);
            }
            else if (_watching && caSecret is not null && Mounted(caSecret))
            {
                HandleEvent(caSecret, istiod, release);
            }

            if (_heldRoot is not null)
                Publish(_heldRoot, release);
        }
    }

    /// <summary>The watcher sees a secret version once it has been mounted for <see cref="MountedFileDelay"/>.</summary>
    private bool Mounted(JsonObject caSecret)
    {
        var version = KubeObjects.ResourceVersion(caSecret);
        if (version == _mountedVersion)
            return false;
        var now = Time.GetUtcNow();
        if (version != _pendingVersion)
        {
            _pendingVersion = version;
            _pendingSince = now;
        }

        var due = _pendingSince + MountedFileDelay;
        if (now < due)
        {
            WakeAfter(due - now);
            return false;
        }

        _mountedVersion = version;
        return true;
    }

    private void Start(JsonObject? caSecret, JsonObject istiod, IstiodRelease release)
    {
        _mountedVersion = caSecret is null ? null : KubeObjects.ResourceVersion(caSecret);
        var files = caSecret is null ? null : CaFiles.Detect(caSecret);
        if (files is not { Complete: true })
        {
            // createIstioCA: an incomplete plug-in bundle at start means a self-signed CA and no cacerts watcher.
            Volatile.Write(ref _watching, false);
            var selfSigned = SelfSignedCa();
            Volatile.Write(ref _loadedCa, selfSigned);
            Volatile.Write(ref _heldRoot, selfSigned.Roots.ToPem());
            Volatile.Write(ref _lastDecision, "Use self-signed certificate as the CA certificate (no complete cacerts at start; not watching cacerts)");
            return;
        }

        var crl = release.ReadsCrl && CrlEnabled(istiod) ? files.Crl : null;
        Load(files, crl, "loaded cacerts at startup");
        Volatile.Write(ref _watching, true);
    }

    private void HandleEvent(JsonObject caSecret, JsonObject istiod, IstiodRelease release)
    {
        var files = CaFiles.Detect(caSecret);
        if (files.Root is null)
        {
            Refuse("failed reading root-cert.pem");
            return;
        }

        var crl = release.ReadsCrl && CrlEnabled(istiod) ? files.Crl : null;
        var refusal = release.RootCertRefusal(_heldRoot ?? "", files.Root, MultiRoot(istiod), crlChanged: crl != _heldCrl);
        if (refusal is not null)
        {
            Refuse(refusal);
            return;
        }

        if (Load(files, crl, "Istiod certificates are reloaded"))
            Interlocked.Increment(ref _reloads);
    }

    private void Refuse(string line)
    {
        Volatile.Write(ref _caLoadError, line + ": istiod keeps the old CA until it restarts");
        Volatile.Write(ref _lastDecision, line);
    }

    /// <summary>VerifyAndSetAll: the chain must verify against root-cert.pem, and with a CRL every chain certificate must have signed one.</summary>
    private bool Load(CaFiles files, string? crl, string decision)
    {
        var (loaded, error) = SigningCaLoader.Load(files.SigningCert is null ? null : files.SigningCert.TrimEnd() + "\n" + (files.Chain ?? ""), files.Key, files.Root, Time.GetUtcNow(), $"secret {IstioNames.Namespace}/{IstioNames.CaSecret}");
        if (loaded is not null && crl is not null && MissingCrlSigners(crl, files.Chain ?? files.SigningCert!) is { Count: > 0 } missing)
        {
            (loaded, error) = (null, $"Failed to update new Plug-in CA certs: missing CRL signed by certificates: [{string.Join(" ", missing)}]");
        }

        Volatile.Write(ref _caLoadError, error);
        if (loaded is null)
        {
            Volatile.Write(ref _lastDecision, "refused cacerts: " + error);
            return false;
        }

        Volatile.Write(ref _loadedCa, loaded);
        Volatile.Write(ref _heldRoot, files.Root);
        _heldCrl = crl;
        Volatile.Write(ref _lastDecision, decision);
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

    private static bool? ParseGoBool(string? value) => value switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };

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

using k8s.Models;
using Rotation.Core.Authorities.Istio;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>
/// The preflight checks of the Istio target, each a refusal with the reason and what to do. What they read is
/// gathered by <see cref="IstioPluginCaTarget"/>; this class only judges it, so every rule is one method with the
/// upstream file it follows.
/// </summary>
internal static class IstioPreflight
{
    public const string TlsCertKey = "tls.crt";

    public sealed record Facts(
        string SecretName,
        V1Secret? Secret,
        V1Deployment Istiod,
        IstiodVersion? Version,
        string VersionSource,
        IstioProxySettings.Setting MultiRoot,
        V1ConfigMap? PublishedRoot,
        IReadOnlyList<V1Pod> IstiodPods,
        IstioProxySettings.Setting MeshPcds,
        IReadOnlyList<(V1Pod Pod, IstioProxySettings.Setting Pcds)> Proxies);

    public static IEnumerable<PreflightCheck> Judge(RotationKind kind, Facts facts)
    {
        yield return TlsSecretFormat(facts);
        yield return Version(kind, facts);
        yield return MultiRoot(kind, facts);
        yield return Crl(facts);
        yield return Watcher(facts);
        if (kind == RotationKind.Root)
            yield return Pcds(facts);
    }

    /// <summary>
    /// pilot/pkg/bootstrap/istio_ca.go (1.19.0 … 86c9f01), detectSigningCABundleAndCRL: when tls.crt exists istiod uses
    /// tls.crt, tls.key and ca.crt (a kubernetes.io/tls secret) and never reads ca-cert.pem or root-cert.pem.
    /// </summary>
    private static PreflightCheck TlsSecretFormat(Facts facts)
    {
        var present = facts.Secret?.Data?.ContainsKey(TlsCertKey) == true;
        return new PreflightCheck("cacerts format", !present, present
            ? $"secret {facts.SecretName} holds {TlsCertKey}: istiod then signs from tls.crt/tls.key/ca.crt and ignores the ca-cert.pem, ca-key.pem, cert-chain.pem and root-cert.pem Rotation writes; remove tls.crt, tls.key and ca.crt from the secret (or adopt the CA in the istiod file format) and retry"
            : $"secret {facts.SecretName} uses the istiod file format (no {TlsCertKey})");
    }

    private static PreflightCheck Version(RotationKind kind, Facts facts)
    {
        if (facts.Version is not { } version)
            return new PreflightCheck("version", false,
                $"cannot tell the istiod version from {facts.VersionSource}, and its cacerts reload rule depends on it: set the target option istiodVersion=1.x.y and retry");
        if (kind == RotationKind.Root && !version.AtLeast(1, 20))
            return new PreflightCheck("version", false,
                $"istiod {version} refuses every change of root-cert.pem (pilot/pkg/bootstrap/istio_ca.go at 1.19.0: \"Updating new ROOT-CA not supported\"), so a root rotation cannot happen in place: upgrade istiod to 1.20 or later and retry");
        return new PreflightCheck("version", true, $"istiod {version} (from {facts.VersionSource})");
    }

    /// <summary>pilot/pkg/features/pilot.go (86c9f01): ISTIO_MULTIROOT_MESH, a Go boolean, default false.</summary>
    private static PreflightCheck MultiRoot(RotationKind kind, Facts facts)
    {
        var on = facts.MultiRoot.Enabled == true;
        if (kind != RotationKind.Root)
            return new PreflightCheck("multi-root", facts.MultiRoot.Enabled is not null, facts.MultiRoot.Enabled is null
                ? $"istiod: {facts.MultiRoot.Found}; set it as a literal value and retry"
                : $"istiod: {facts.MultiRoot.Found}; an intermediate switch keeps root-cert.pem byte-for-byte, which istiod reloads in place");
        return new PreflightCheck("multi-root", on, on
            ? $"istiod: {facts.MultiRoot.Found}"
            : $"istiod: {facts.MultiRoot.Found}; without {IstioPluginCaTarget.MultiRootEnv}=true istiod refuses a root-cert.pem with a new root (\"Multi root is disabled, updating new ROOT-CA not supported\") and pushes no trust bundle to proxies: set pilot env {IstioPluginCaTarget.MultiRootEnv}=true (istioctl install --set values.pilot.env.{IstioPluginCaTarget.MultiRootEnv}=true) and retry");
    }

    /// <summary>See <see cref="IstioCaCrl"/>: a ca-crl.pem must be signed by every certificate of cert-chain.pem at every load.</summary>
    private static PreflightCheck Crl(Facts facts)
    {
        var crl = Text(facts.Secret, IstioCaCrl.Key);
        if (crl is null)
            return new PreflightCheck("ca-crl.pem", true, $"secret {facts.SecretName} holds no {IstioCaCrl.Key}");
        var crlEnv = EnvOf(facts.Istiod, IstioCaCrl.EnableEnv);
        var crlOn = facts.Version?.AtLeast(1, 27) != false && GoBool.Effective(crlEnv, defaultValue: true);
        if (!crlOn)
            return new PreflightCheck("ca-crl.pem", true, $"secret {facts.SecretName} holds {IstioCaCrl.Key}, which this istiod does not read ({IstioCaCrl.EnableEnv} off or istiod before 1.27)");
        string staleness;
        try
        {
            var chainText = Text(facts.Secret, "cert-chain.pem") ?? Text(facts.Secret, "ca-cert.pem") ?? "";
            var missing = IstioCaCrl.UnsignedBy(crl, Pem.ReadCertificates(chainText, "cert-chain.pem"));
            staleness = missing.Count == 0
                ? "it is signed by every certificate of the current cert-chain.pem, but not by the chain Rotation will write"
                : $"it is already stale: no CRL in it is signed by {string.Join(", ", missing)}";
        }
        catch (PkiException e)
        {
            staleness = $"cert-chain.pem is unreadable ({e.Message})";
        }

        return new PreflightCheck("ca-crl.pem", false,
            $"secret {facts.SecretName} holds {IstioCaCrl.Key} and istiod checks it on every reload ({IstioCaCrl.EnableEnv} is on): {staleness}; istiod would keep the old CA with one log line (\"missing CRL signed by certificates\"). Rotation does not sign CRLs: remove {IstioCaCrl.Key} from the secret or set pilot env {IstioCaCrl.EnableEnv}=false, and retry");
    }

    /// <summary>
    /// pilot/pkg/bootstrap/istio_ca.go (86c9f01), createIstioCA: only with a complete plug-in bundle at start does istiod
    /// call initCACertsAndCRLWatcher; otherwise it runs a self-signed CA and never watches /etc/cacerts. Evidence: the root
    /// istiod publishes in its own namespace is not one of cacerts' roots, or an istiod pod started before cacerts existed.
    /// </summary>
    private static PreflightCheck Watcher(Facts facts)
    {
        var restart = $"restart istiod (kubectl rollout restart deployment/{facts.Istiod.Name()} -n {facts.Istiod.Namespace()}) so it loads cacerts and watches it, then retry";
        var created = facts.Secret?.Metadata?.CreationTimestamp;
        var early = facts.IstiodPods
            .Where(p => StartedAt(p) is { } started && created is { } c && started < c)
            .Select(p => p.Name())
            .ToList();
        if (early.Count > 0)
            return new PreflightCheck("cacerts watcher", false,
                $"istiod pod(s) {string.Join(", ", early)} started before secret {facts.SecretName} was created, so they run a self-signed CA and do not watch cacerts: {restart}");

        var published = Text(facts.PublishedRoot, "root-cert.pem");
        var roots = Text(facts.Secret, "root-cert.pem");
        if (published is not null && roots is not null)
        {
            var (publishedSet, _) = ObjectPem.TryFingerprints(published);
            var (rootSet, _) = ObjectPem.TryFingerprints(roots);
            if (publishedSet is not null && rootSet is not null && publishedSet.Count > 0 && !publishedSet.All(rootSet.Contains))
                return new PreflightCheck("cacerts watcher", false,
                    $"istiod publishes a root that is not in {facts.SecretName} root-cert.pem ({ObjectPem.Summary("published", published)}): it does not serve the plug-in CA and does not watch cacerts: {restart}");
        }

        return new PreflightCheck("cacerts watcher", true, "istiod serves the plug-in CA from cacerts");
    }

    /// <summary>
    /// Without PCDS a proxy learns a new root only at its next certificate refresh (security/pkg/nodeagent/cache/secretcache.go
    /// at 86c9f01: "If periodic cert refresh resulted in discovery of a new root, trigger a ROOTCA request"), about half a
    /// workload certificate lifetime later; with it, istiod pushes the bundle at once (UpdateConfigTrustBundle).
    /// </summary>
    private static PreflightCheck Pcds(Facts facts)
    {
        var problems = new List<string>();
        if (facts.MeshPcds.Enabled != true)
            problems.Add(facts.MeshPcds.Found);
        var off = facts.Proxies.Where(p => p.Pcds.Enabled != true).ToList();
        foreach (var (pod, setting) in off.Take(3))
            problems.Add($"pod {pod.Namespace()}/{pod.Name()}: {setting.Found}");
        if (off.Count > 3)
            problems.Add($"{off.Count - 3} more meshed pod(s) without it");
        return problems.Count == 0
            ? new PreflightCheck("PCDS", true, $"{IstioProxySettings.PcdsEnv} is on in the mesh config and in all {facts.Proxies.Count} meshed pod(s): proxies take new roots from istiod's push")
            : new PreflightCheck("PCDS", false,
                $"{string.Join("; ", problems)}. Without {IstioProxySettings.PcdsEnv}=true a proxy trusts a new root only after its next certificate refresh, so switching the issuer earlier breaks mTLS: set meshConfig.defaultConfig.proxyMetadata.{IstioProxySettings.PcdsEnv}: \"true\" (or the {IstioProxySettings.ProxyConfigAnnotation} annotation), restart the workloads so their sidecars pick it up, and retry");
    }

    public static string? EnvOf(V1Deployment deployment, string name) =>
        deployment.Spec?.Template?.Spec?.Containers?.SelectMany(c => c.Env ?? []).LastOrDefault(e => e.Name == name)?.Value;

    private static DateTime? StartedAt(V1Pod pod) =>
        pod.Status?.ContainerStatuses?.Select(s => s.State?.Running?.StartedAt).Where(t => t is not null).Min() ?? pod.Status?.StartTime;

    private static string? Text(V1Secret? secret, string key) =>
        secret?.Data is { } data && data.TryGetValue(key, out var bytes) && bytes is not null ? System.Text.Encoding.UTF8.GetString(bytes) : null;

    private static string? Text(V1ConfigMap? map, string key) =>
        map?.Data is { } data && data.TryGetValue(key, out var text) ? text : null;
}

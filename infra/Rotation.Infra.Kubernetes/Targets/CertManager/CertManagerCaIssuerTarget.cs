using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Writing;
using static Rotation.Infra.Kubernetes.Targets.CustomObjects;

namespace Rotation.Infra.Kubernetes.Targets.CertManager;

/// <summary>
/// A cert-manager CA issuer: the Secret its spec.ca.secretName names (tls.crt = issuer and chain, tls.key, ca.crt).
/// cert-manager does not re-issue when that Secret changes, so switching the issuer also triggers re-issuance of the
/// Certificates that use it, the way `cmctl renew` does: an Issuing=True condition with reason ManuallyTriggered on
/// the Certificate's status. Leaves are observable: each Certificate's Secret holds its tls.crt.
/// </summary>
public sealed class CertManagerCaIssuerTarget : KubernetesTarget
{
    public const string KindName = "cert-manager";
    public const string Group = "cert-manager.io";
    public const string Version = "v1";
    public const string RenewReason = "ManuallyTriggered";

    private readonly CertManagerTargetOptions _options;

    public CertManagerCaIssuerTarget(ClusterConnection connection, CertManagerTargetOptions options)
        : base(connection, KindName) => _options = options;

    private bool IsClusterIssuer => _options.IssuerKind == "ClusterIssuer";
    private string IssuerLabel => $"{_options.IssuerKind} {(IsClusterIssuer ? "" : _options.Namespace + "/")}{_options.IssuerName}";

    public override IReadOnlyList<ResourcePermission> RequiredPermissions =>
    [
        IsClusterIssuer ? new("get", Group, "clusterissuers") : new("get", Group, "issuers", _options.Namespace),
        new("get", "", "secrets", _options.Namespace),
        new("update", "", "secrets", _options.Namespace),
        .. new[] { _options.Namespace, "cert-manager" }.Distinct(StringComparer.Ordinal).Select(ns => new ResourcePermission("list", "apps", "deployments", ns)),
        new("list", Group, "certificates"),
        new("list", Group, "certificaterequests"),
        new("get", Group, "certificates"),
        new("update", Group, "certificates", Subresource: "status"),
        new("list", "", "secrets"),
        new("get", "", "secrets"),
    ];

    public override async Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default)
    {
        var issuer = await ReadIssuerAsync(cancellationToken);
        if (issuer is null)
            return Report(new PreflightCheck("issuer", false, $"{IssuerLabel} not found: check the target options issuerKind, issuerName and namespace"));
        var secretName = Str(issuer, "spec", "ca", "secretName");
        if (secretName is null)
            return Report(new PreflightCheck("issuer", false, $"{IssuerLabel} is not a CA issuer (no spec.ca.secretName): Rotation can only rotate CA issuers"));
        var secret = await ReadSecretAsync(_options.Namespace, secretName, cancellationToken);
        var checks = new List<PreflightCheck>
        {
            new("issuer", true, $"{IssuerLabel} is a CA issuer reading secret {_options.Namespace}/{secretName}"),
            new("issuer secret", secret is not null, secret is not null
                ? $"secret {_options.Namespace}/{secretName} found"
                : $"secret {_options.Namespace}/{secretName} not found: Rotation creates it on the issuer switch, but the current issuer is unknown; create it with the current CA first"),
        };
        checks.Add(await VersionCheckAsync(cancellationToken));
        if (kind == RotationKind.Root)
        {
            checks.Add(new PreflightCheck("trust distribution", !_options.ReportCertificateCaTrust, _options.ReportCertificateCaTrust
                ? "cert-manager writes one root into each Certificate's ca.crt, so workloads that trust their ca.crt cannot hold old and new root at once: distribute trust with trust-manager, then set option certificateCaTrust=ignore"
                : "Certificates' ca.crt is not used as trust (certificateCaTrust=ignore): trust comes from elsewhere, e.g. trust-manager"));
        }

        return Report([.. checks]);
    }

    /// <summary>The controller Deployment in the target's namespace, else in cert-manager's default namespace.</summary>
    private async Task<PreflightCheck> VersionCheckAsync(CancellationToken cancellationToken)
    {
        var searched = new[] { _options.Namespace, "cert-manager" }.Distinct(StringComparer.Ordinal).ToList();
        foreach (var ns in searched)
        {
            var found = await GuardAsync($"listing cert-manager deployments in {ns}", async () =>
                (await Client.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: CertManagerVersion.LabelSelector, cancellationToken: cancellationToken)).Items, cancellationToken);
            if (found.OrderBy(d => d.Name(), StringComparer.Ordinal).FirstOrDefault() is { } controller)
                return CertManagerVersion.Check(controller, searched);
        }

        return CertManagerVersion.Check(null, searched);
    }

    /// <summary>
    /// Writes nothing: the CA issuer's Secret is not a trust store. cert-manager reads only the first certificate of
    /// its ca.crt and appends it to tls.crt to build the signing chain (SecretTLSKeyPairAndCA in
    /// pkg/util/kube/pki.go, DecodeX509CertificateBytes returns certs[0] in pkg/util/pki/parse.go, cert-manager
    /// 2d0d7f7f), so a bundle [old, new] there breaks signing as soon as tls.crt holds the new intermediate
    /// ("certificate chain is malformed or broken", ParseSingleCertificateChain). Trust reaches workloads through
    /// trust-manager (or whatever distributes it); ca.crt stays the issuing chain's own root, set with the issuer.
    /// </summary>
    public override async Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var secretName = await SecretNameAsync(cancellationToken);
        if (await ReadSecretAsync(_options.Namespace, secretName, cancellationToken) is null)
            throw new TargetUnavailableException(Name, $"cluster '{Cluster}': secret {_options.Namespace}/{secretName} of {IssuerLabel} not found, so there is no issuer to keep beside the new bundle");
    }

    /// <summary>
    /// Writes the issuer Secret: tls.crt = issuer then its chain, tls.key, ca.crt = the root of that chain ONLY
    /// (cert-manager signs with tls.crt + certs[0] of ca.crt and needs them to form one chain). Then asks
    /// cert-manager to re-issue every Certificate of this issuer whose leaf the new issuer did not sign (see
    /// <see cref="CertManagerReissue"/>); while one was already issuing before the switch, the step holds.
    /// </summary>
    public override async Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var secretName = await SecretNameAsync(cancellationToken);
        var chain = new List<Certificate> { issuer.Issuer.Certificate };
        chain.AddRange(issuer.ChainToRoot.Where(c => !c.Equals(issuer.Issuer.Certificate)));
        var root = chain[^1];
        await WriteSecretAsync(_options.Namespace, secretName, current =>
        {
            if (ObjectPem.SameCertificates(Text(current, "tls.crt"), chain) && ObjectPem.SameCertificates(Text(current, "ca.crt"), [root]))
                return null;
            var secret = current ?? new V1Secret { Metadata = new V1ObjectMeta { Name = secretName, NamespaceProperty = _options.Namespace }, Type = "kubernetes.io/tls" };
            return WithData(secret, context, new()
            {
                ["tls.crt"] = Pem.WriteCertificates(chain),
                ["tls.key"] = issuer.Issuer.Key.ToPkcs8Pem(),
                ["ca.crt"] = root.ToPem(),
            });
        }, cancellationToken);
        await RenewStaleCertificatesAsync(issuer.Issuer.Certificate, cancellationToken);
    }

    public override async Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        if (!_options.ReportCertificateCaTrust)
        {
            // Still prove the issuer can be read, so an unreachable cluster holds the gate.
            await SecretNameAsync(cancellationToken);
            return new TrustReport(Name, [], "certificateCaTrust=ignore: Certificates' ca.crt is not used as trust, and the CA issuer's own ca.crt is only the root of its signing chain");
        }

        var (_, secrets) = await CertificatesWithSecretsAsync(cancellationToken);
        return new TrustReport(Name, secrets.Secrets.Select(s => Observe($"secret {s.Namespace()}/{s.Name()} ca.crt", Text(s, "ca.crt"))).ToList());
    }

    public override async Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default)
    {
        var secretName = await SecretNameAsync(cancellationToken);
        var secret = await ReadSecretAsync(_options.Namespace, secretName, cancellationToken);
        var where = $"secret {_options.Namespace}/{secretName}";
        // ca.crt is the root of the signing chain, not a trust store (see ApplyTrustBundleAsync): it is read as the
        // top of the issuer's chain, so drift is judged on the issuer and adoption sees the whole chain.
        return new TargetContent(Name, [],
            HeldIssuerOf($"{where} tls.crt", Text(secret, "tls.crt"), Text(secret, "ca.crt"), Text(secret, "tls.key")));
    }

    /// <summary>
    /// Every Certificate of this issuer, by its Secret's tls.crt (any Secret type: cert-manager keeps the type of
    /// an existing Secret, pkg/controller/certificates/issuing/internal/secret.go), plus the unexpired leaves of
    /// CertificateRequests signed by this issuer that no Certificate owns (cert-manager csi-driver, istio-csr: the
    /// leaf lives in the pod, the request is the only record). A Certificate whose Secret does not exist yet
    /// cannot be judged: the report throws, so the gate holds and names it.
    /// </summary>
    public override async Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default)
    {
        var (certificates, secrets) = await CertificatesWithSecretsAsync(cancellationToken);
        if (secrets.Missing.Count > 0)
        {
            var named = string.Join("; ", secrets.Missing.Take(3).Select(c => $"certificate {Str(c, "metadata", "namespace")}/{Str(c, "metadata", "name")} (secret {Str(c, "spec", "secretName")}: {CertManagerReissue.Describe(c)})"));
            throw new TargetUnavailableException(Name, $"cluster '{Cluster}': {secrets.Missing.Count} certificate(s) of {IssuerLabel} have no Secret yet, so their leaves cannot be judged: {named}");
        }

        var byCertificate = certificates.ToDictionary(c => $"{Str(c, "metadata", "namespace")}/{Str(c, "spec", "secretName")}", StringComparer.Ordinal);
        var leaves = new List<LeafObservation>();
        foreach (var secret in secrets.Secrets)
        {
            var certificate = byCertificate.GetValueOrDefault($"{secret.Namespace()}/{secret.Name()}");
            var state = certificate is null ? null : CertManagerReissue.Problem(certificate);
            var location = state is null ? $"secret {secret.Namespace()}/{secret.Name()}" : $"secret {secret.Namespace()}/{secret.Name()} ({state})";
            var text = Text(secret, "tls.crt");
            if (string.IsNullOrWhiteSpace(text))
                throw new TargetUnavailableException(Name, $"cluster '{Cluster}': {location} has no tls.crt yet, so its leaf cannot be judged");
            leaves.Add(ReadLeaf(location, text));
        }

        leaves.AddRange(await OrphanRequestLeavesAsync(cancellationToken));
        return new LeafReport(Name, true, leaves);
    }

    private LeafObservation ReadLeaf(string location, string pem)
    {
        try
        {
            var certificates = Pem.ReadCertificates(pem, location);
            return new LeafObservation(location, certificates[0], certificates.Skip(1).ToList());
        }
        catch (PkiException ex)
        {
            throw new TargetUnavailableException(Name, $"cluster '{Cluster}': {location} holds an unreadable certificate ({ex.Message})", ex);
        }
    }

    /// <summary>CertificateRequests of this issuer with no owning Certificate and a signed, unexpired leaf (one paginated LIST).</summary>
    private async Task<IReadOnlyList<LeafObservation>> OrphanRequestLeavesAsync(CancellationToken cancellationToken)
    {
        var requests = await GuardAsync("listing certificaterequests", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CustomObjects.ListClusterCustomObjectAsync<JsonObject>(Group, Version, "certificaterequests", continueParameter: token, limit: PageSize, cancellationToken: cancellationToken);
            return (Items(page), Continue(page));
        }), cancellationToken);
        var now = Connection.TimeProvider.GetUtcNow();
        var leaves = new List<LeafObservation>();
        foreach (var request in requests.Where(r => UsesThisIssuer(r) && !OwnedByCertificate(r))
            .OrderBy(r => Str(r, "metadata", "namespace"), StringComparer.Ordinal).ThenBy(r => Str(r, "metadata", "name"), StringComparer.Ordinal))
        {
            if (Str(request, "status", "certificate") is not { Length: > 0 } encoded)
                continue; // not signed: nothing presents it
            var location = $"certificaterequest {Str(request, "metadata", "namespace")}/{Str(request, "metadata", "name")} (no Certificate owns it: a csi-driver or istio-csr leaf held in a pod)";
            var leaf = ReadLeaf(location, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(encoded)));
            if (leaf.Leaf.NotAfter > now)
                leaves.Add(leaf);
        }

        return leaves;
    }

    private static bool OwnedByCertificate(JsonObject request) =>
        Array(request, "metadata", "ownerReferences").OfType<JsonObject>().Any(o => Str(o, "kind") == "Certificate" && (Str(o, "apiVersion") ?? "").StartsWith(Group + "/", StringComparison.Ordinal));

    /// <summary>
    /// Asks cert-manager to re-issue every Certificate of this issuer whose current leaf the new issuer did not sign,
    /// as `cmctl renew` does (pkg/renew/renew.go, cert-manager/cmctl 9f4f891: Issuing=True, reason
    /// ManuallyTriggered). This includes Certificates whose last issuance failed (Issuing=False): a manual trigger
    /// bypasses cert-manager's 1h..32h backoff. One already issuing for another reason may be finishing a request
    /// signed by the old CA, and setting Issuing=True again would change nothing: the step holds, naming it, and a
    /// re-run triggers it once that issuance has ended. A Certificate Rotation already triggered is left alone, so a
    /// re-run triggers nothing twice.
    /// </summary>
    private async Task RenewStaleCertificatesAsync(Certificate newIssuer, CancellationToken cancellationToken)
    {
        var (certificates, secrets) = await CertificatesWithSecretsAsync(cancellationToken);
        var leafBySecret = secrets.Secrets.ToDictionary(s => $"{s.Namespace()}/{s.Name()}", s => FirstCertificate(Text(s, "tls.crt")), StringComparer.Ordinal);
        var waiting = new List<string>();
        foreach (var certificate in certificates)
        {
            var ns = Str(certificate, "metadata", "namespace")!;
            var name = Str(certificate, "metadata", "name")!;
            var leaf = leafBySecret.GetValueOrDefault($"{ns}/{Str(certificate, "spec", "secretName")}");
            if (leaf is not null && leaf.IsSignedBy(newIssuer))
                continue;
            if (CertManagerReissue.IsIssuing(certificate))
            {
                if (!CertManagerReissue.TriggeredByRotation(certificate))
                    waiting.Add($"{ns}/{name} ({CertManagerReissue.Describe(certificate)})");
                continue;
            }

            await GuardAsync($"triggering re-issuance of certificate {ns}/{name}", () => ReadModifyWrite.RunAsync<JsonObject>(
                Connection.Options.MaxConflictRetries,
                () => OrNullAsync(Client.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>(Group, Version, ns, "certificates", name, cancellationToken)),
                current => current is null || CertManagerReissue.IsIssuing(current) ? null : WithIssuingCondition(current),
                _ => Task.CompletedTask,
                body => Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<JsonObject>(body, Group, Version, ns, "certificates", name, fieldManager: ManagedMetadata.FieldManager, cancellationToken: cancellationToken)),
                cancellationToken);
        }

        if (waiting.Count > 0)
        {
            throw new TargetUnavailableException(Name,
                $"cluster '{Cluster}': {waiting.Count} certificate(s) of {IssuerLabel} were already issuing when the issuer switched and may finish with a leaf of the old CA: {string.Join("; ", waiting.Take(3))}; Rotation re-triggers them (as cmctl renew) when that issuance ends");
        }
    }

    private JsonObject WithIssuingCondition(JsonObject certificate)
    {
        var status = certificate["status"] as JsonObject ?? [];
        certificate["status"] = status;
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => Str(c, "type") == "Issuing");
        if (existing is not null)
            conditions.Remove(existing);
        conditions.Add(new JsonObject
        {
            ["type"] = "Issuing",
            ["status"] = "True",
            ["reason"] = RenewReason,
            ["message"] = CertManagerReissue.ManualMessage,
            ["lastTransitionTime"] = Connection.TimeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
            ["observedGeneration"] = Long(certificate, "metadata", "generation") ?? 1,
        });
        return certificate;
    }

    private static Certificate? FirstCertificate(string? pem)
    {
        try
        {
            return string.IsNullOrWhiteSpace(pem) ? null : Pem.ReadCertificates(pem)[0];
        }
        catch (PkiException)
        {
            return null;
        }
    }

    /// <summary>
    /// The Certificates that use this issuer (one paginated LIST) and their Secrets: one paginated LIST of TLS
    /// Secrets, then a GET for each Secret not found there (cert-manager keeps an existing Secret's type, so it may
    /// be Opaque). Certificates whose Secret does not exist are returned as missing.
    /// </summary>
    private async Task<(IReadOnlyList<JsonObject> Certificates, IssuedSecrets Secrets)> CertificatesWithSecretsAsync(CancellationToken cancellationToken)
    {
        var certificates = await GuardAsync("listing certificates", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CustomObjects.ListClusterCustomObjectAsync<JsonObject>(Group, Version, "certificates", continueParameter: token, limit: PageSize, cancellationToken: cancellationToken);
            return (Items(page), Continue(page));
        }), cancellationToken);
        var mine = certificates.Where(UsesThisIssuer).ToList();
        if (mine.Count == 0)
            return (mine, new IssuedSecrets([], []));
        var tls = await GuardAsync("listing TLS secrets", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: "type=kubernetes.io/tls", limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
            return ((IEnumerable<V1Secret>)page.Items, page.Metadata?.ContinueProperty);
        }), cancellationToken);
        var byKey = tls.ToDictionary(s => $"{s.Namespace()}/{s.Name()}", StringComparer.Ordinal);
        var found = new List<V1Secret>();
        var missing = new List<JsonObject>();
        foreach (var certificate in mine)
        {
            var ns = Str(certificate, "metadata", "namespace")!;
            var secretName = Str(certificate, "spec", "secretName") ?? "";
            var secret = byKey.GetValueOrDefault($"{ns}/{secretName}") ?? await ReadSecretAsync(ns, secretName, cancellationToken);
            if (secret is null)
                missing.Add(certificate);
            else if (!found.Any(f => f.Namespace() == ns && f.Name() == secretName))
                found.Add(secret);
        }

        var ordered = found.OrderBy(s => s.Namespace(), StringComparer.Ordinal).ThenBy(s => s.Name(), StringComparer.Ordinal).ToList();
        return (mine, new IssuedSecrets(ordered, missing));
    }

    private sealed record IssuedSecrets(IReadOnlyList<V1Secret> Secrets, IReadOnlyList<JsonObject> Missing);

    private bool UsesThisIssuer(JsonObject certificate)
    {
        var name = Str(certificate, "spec", "issuerRef", "name");
        var kind = Str(certificate, "spec", "issuerRef", "kind") ?? "Issuer";
        var group = Str(certificate, "spec", "issuerRef", "group") ?? Group;
        // Works for CertificateRequests too: same spec.issuerRef.
        if (name != _options.IssuerName || kind != _options.IssuerKind || (group.Length > 0 && group != Group))
            return false;
        return IsClusterIssuer || Str(certificate, "metadata", "namespace") == _options.Namespace;
    }

    private Task<JsonObject?> ReadIssuerAsync(CancellationToken cancellationToken) =>
        GuardAsync($"reading {IssuerLabel}", () => OrNullAsync(IsClusterIssuer
            ? Client.CustomObjects.GetClusterCustomObjectAsync<JsonObject>(Group, Version, "clusterissuers", _options.IssuerName, cancellationToken)
            : Client.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>(Group, Version, _options.Namespace, "issuers", _options.IssuerName, cancellationToken)), cancellationToken);

    private async Task<string> SecretNameAsync(CancellationToken cancellationToken)
    {
        var issuer = await ReadIssuerAsync(cancellationToken)
            ?? throw new TargetUnavailableException(Name, $"cluster '{Cluster}': {IssuerLabel} not found");
        return Str(issuer, "spec", "ca", "secretName")
            ?? throw new TargetUnavailableException(Name, $"cluster '{Cluster}': {IssuerLabel} is not a CA issuer (no spec.ca.secretName)");
    }

    private static V1Secret WithData(V1Secret secret, RotationWriteContext context, Dictionary<string, string> data) =>
        StampSecret(secret, context, IssuerSummary(secret, "tls.crt", "ca.crt"), data);
}

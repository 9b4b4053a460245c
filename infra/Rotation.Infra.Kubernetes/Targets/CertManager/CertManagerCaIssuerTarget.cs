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
        new("list", Group, "certificates"),
        new("get", Group, "certificates"),
        new("update", Group, "certificates", Subresource: "status"),
        new("list", "", "secrets"),
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
        if (kind == RotationKind.Root)
        {
            checks.Add(new PreflightCheck("trust distribution", !_options.ReportCertificateCaTrust, _options.ReportCertificateCaTrust
                ? "cert-manager writes one root into each Certificate's ca.crt, so workloads that trust their ca.crt cannot hold old and new root at once: distribute trust with trust-manager, then set option certificateCaTrust=ignore"
                : "Certificates' ca.crt is not used as trust (certificateCaTrust=ignore): trust comes from elsewhere, e.g. trust-manager"));
        }

        return Report([.. checks]);
    }

    public override async Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var secretName = await SecretNameAsync(cancellationToken);
        await WriteSecretAsync(_options.Namespace, secretName, current =>
        {
            if (current is null)
                throw new TargetUnavailableException(Name, $"cluster '{Cluster}': secret {_options.Namespace}/{secretName} of {IssuerLabel} not found, so there is no issuer to keep beside the new bundle");
            return PemText.SameSet(Text(current, "ca.crt"), bundle) ? null : WithData(current, context, new() { ["ca.crt"] = bundle.ToPem() });
        }, cancellationToken);
    }

    public override async Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var secretName = await SecretNameAsync(cancellationToken);
        var chain = new List<Certificate> { issuer.Issuer.Certificate };
        chain.AddRange(issuer.ChainToRoot.Where(c => !c.Equals(issuer.Issuer.Certificate)));
        await WriteSecretAsync(_options.Namespace, secretName, current =>
        {
            if (PemText.SameCertificates(Text(current, "tls.crt"), chain) && PemText.SameSet(Text(current, "ca.crt"), issuer.Bundle))
                return null;
            var secret = current ?? new V1Secret { Metadata = new V1ObjectMeta { Name = secretName, NamespaceProperty = _options.Namespace }, Type = "kubernetes.io/tls" };
            return WithData(secret, context, new()
            {
                ["tls.crt"] = Pem.WriteCertificates(chain),
                ["tls.key"] = issuer.Issuer.Key.ToPkcs8Pem(),
                ["ca.crt"] = issuer.Bundle.ToPem(),
            });
        }, cancellationToken);
        await RenewStaleCertificatesAsync(issuer.Issuer.Certificate, cancellationToken);
    }

    public override async Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        var secretName = await SecretNameAsync(cancellationToken);
        var issuerSecret = await ReadSecretAsync(_options.Namespace, secretName, cancellationToken);
        var stores = new List<TrustStoreObservation> { Observe($"secret {_options.Namespace}/{secretName} ca.crt", Text(issuerSecret, "ca.crt")) };
        if (_options.ReportCertificateCaTrust)
        {
            var (_, secrets) = await CertificatesWithSecretsAsync(cancellationToken);
            stores.AddRange(secrets.Select(s => Observe($"secret {s.Namespace()}/{s.Name()} ca.crt", Text(s, "ca.crt"))));
        }

        return new TrustReport(Name, stores);
    }

    public override async Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default)
    {
        var (_, secrets) = await CertificatesWithSecretsAsync(cancellationToken);
        var leaves = new List<LeafObservation>();
        foreach (var secret in secrets)
        {
            var location = $"secret {secret.Namespace()}/{secret.Name()}";
            var text = Text(secret, "tls.crt");
            if (string.IsNullOrWhiteSpace(text))
                continue; // not issued yet: nothing presents it
            try
            {
                var certificates = Pem.ReadCertificates(text, location);
                leaves.Add(new LeafObservation(location, certificates[0], certificates.Skip(1).ToList()));
            }
            catch (PkiException ex)
            {
                throw new TargetUnavailableException(Name, $"cluster '{Cluster}': {location} holds an unreadable tls.crt ({ex.Message})", ex);
            }
        }

        return new LeafReport(Name, true, leaves);
    }

    public override async Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default)
    {
        var secretName = await SecretNameAsync(cancellationToken);
        var secret = await ReadSecretAsync(_options.Namespace, secretName, cancellationToken);
        var where = $"secret {_options.Namespace}/{secretName}";
        return new TargetContent(Name,
            [Held($"{where} ca.crt", Text(secret, "ca.crt"))],
            HeldIssuerOf($"{where} tls.crt", Text(secret, "tls.crt"), null, Text(secret, "tls.key")));
    }

    /// <summary>
    /// Asks cert-manager to re-issue every Certificate of this issuer whose current leaf the new issuer did not sign,
    /// as `cmctl renew` does. A Certificate already Issuing, or already issued by the new issuer, is left alone, so a
    /// re-run triggers nothing twice.
    /// </summary>
    private async Task RenewStaleCertificatesAsync(Certificate newIssuer, CancellationToken cancellationToken)
    {
        var (certificates, secrets) = await CertificatesWithSecretsAsync(cancellationToken);
        var leafBySecret = secrets.ToDictionary(s => $"{s.Namespace()}/{s.Name()}", s => FirstCertificate(Text(s, "tls.crt")), StringComparer.Ordinal);
        foreach (var certificate in certificates)
        {
            var ns = Str(certificate, "metadata", "namespace")!;
            var name = Str(certificate, "metadata", "name")!;
            var leaf = leafBySecret.GetValueOrDefault($"{ns}/{Str(certificate, "spec", "secretName")}");
            if (leaf is not null && leaf.IsSignedBy(newIssuer))
                continue;
            await GuardAsync($"triggering re-issuance of certificate {ns}/{name}", () => ReadModifyWrite.RunAsync<JsonObject>(
                Connection.Options.MaxConflictRetries,
                () => OrNullAsync(Client.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>(Group, Version, ns, "certificates", name, cancellationToken)),
                current => current is null || IsIssuing(current) ? null : WithIssuingCondition(current),
                _ => Task.CompletedTask,
                body => Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<JsonObject>(body, Group, Version, ns, "certificates", name, fieldManager: ManagedMetadata.FieldManager, cancellationToken: cancellationToken)),
                cancellationToken);
        }
    }

    private static bool IsIssuing(JsonObject certificate) => Str(Condition(certificate, "Issuing"), "status") == "True";

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
            ["message"] = "Certificate re-issuance manually triggered",
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

    /// <summary>The Certificates that use this issuer (one paginated LIST) and their Secrets (one paginated LIST of TLS secrets).</summary>
    private async Task<(IReadOnlyList<JsonObject> Certificates, IReadOnlyList<V1Secret> Secrets)> CertificatesWithSecretsAsync(CancellationToken cancellationToken)
    {
        var certificates = await GuardAsync("listing certificates", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CustomObjects.ListClusterCustomObjectAsync<JsonObject>(Group, Version, "certificates", continueParameter: token, limit: PageSize, cancellationToken: cancellationToken);
            return (Items(page), Continue(page));
        }), cancellationToken);
        var mine = certificates.Where(UsesThisIssuer).ToList();
        var wanted = mine.Select(c => $"{Str(c, "metadata", "namespace")}/{Str(c, "spec", "secretName")}").ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0)
            return (mine, []);
        var secrets = await GuardAsync("listing TLS secrets", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: "type=kubernetes.io/tls", limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
            return ((IEnumerable<V1Secret>)page.Items, page.Metadata?.ContinueProperty);
        }), cancellationToken);
        var issued = secrets
            .Where(s => wanted.Contains($"{s.Namespace()}/{s.Name()}"))
            .OrderBy(s => s.Namespace(), StringComparer.Ordinal).ThenBy(s => s.Name(), StringComparer.Ordinal)
            .ToList();
        return (mine, issued);
    }

    private bool UsesThisIssuer(JsonObject certificate)
    {
        var name = Str(certificate, "spec", "issuerRef", "name");
        var kind = Str(certificate, "spec", "issuerRef", "kind") ?? "Issuer";
        var group = Str(certificate, "spec", "issuerRef", "group") ?? Group;
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

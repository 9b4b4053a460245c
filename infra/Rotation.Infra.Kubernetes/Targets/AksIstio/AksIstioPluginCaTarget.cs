using k8s;
using k8s.Models;
using Rotation.Core.Authorities.Istio;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Targets.Istio;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets.AksIstio;

/// <summary>
/// The AKS Istio add-on's plug-in CA. What is WRITTEN is four Key Vault secrets (root-cert, ca-cert, ca-key,
/// cert-chain; names per the cluster's certificateAuthority.plugin), which the azure-keyvault-secrets-provider add-on
/// (Secrets Store CSI driver) mounts into istiod as /etc/cacerts and syncs to the Secret cacerts in aks-istio-system,
/// on its rotation poll (default every 2 minutes). What is READ as evidence is the cluster, exactly as for upstream
/// Istio (<see cref="IstioPluginCaTarget"/> over the add-on's namespace and istiod-REVISION): the synced cacerts,
/// the istio-ca-root-cert ConfigMaps, istiod's gauges and the proxies' trust. A Key Vault write is not evidence: until
/// the synced cacerts holds what Key Vault holds, the trust and leaf gates hold, naming the secret.
/// Root rotation follows the add-on's documented procedure: old and new roots in root-cert, then new only
/// (MicrosoftDocs/azure-aks-docs@0526c69c articles/aks/istio-plugin-ca.md, "Root certificate authority rotation").
/// </summary>
public sealed class AksIstioPluginCaTarget : KubernetesTarget, IPublishesCertificates
{
    public const string KindName = "aks-istio";
    public const string CsiDriver = "secrets-store.csi.k8s.io";
    private const string RootFile = "root-cert.pem";
    private const string CaCertFile = "ca-cert.pem";
    private const string CaKeyFile = "ca-key.pem";
    private const string CertChainFile = "cert-chain.pem";

    private readonly AksIstioTargetOptions _options;
    private readonly IstioPluginCaTarget _cluster;
    private readonly PluginCaVault _vault;

    public AksIstioPluginCaTarget(ClusterConnection connection, AksIstioTargetOptions options)
        : base(connection, KindName)
    {
        _options = options;
        _cluster = new IstioPluginCaTarget(connection, options.Istio, KindName);
        _vault = new PluginCaVault(connection.KeyVault.ClientFor(options.KeyVault), Name, Cluster);
    }

    /// <summary>Reads only, in the cluster: Rotation writes Key Vault (Key Vault Secrets Officer on the vault), never the synced secret.</summary>
    public override IReadOnlyList<ResourcePermission> RequiredPermissions =>
    [
        new("get", "", "secrets", _options.Istio.Namespace),
        new("get", "apps", "deployments", _options.Istio.Namespace),
        new("get", "", "configmaps", _options.Istio.Namespace),
        new("list", "", "configmaps"),
        new("list", "", "pods"),
        new("get", "", "pods", Subresource: "portforward"),
        new("create", "", "pods", Subresource: "portforward"),
    ];

    private string SyncedSecret => $"{_options.Istio.Namespace}/{_options.Istio.Secret}";

    private string SecretProviderClass => "istio-spc-" + _options.Revision;

    public override async Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default)
    {
        var vault = await ReadVaultAsync(cancellationToken);
        var checks = new List<PreflightCheck>();
        var missing = vault.All.Where(h => h.Value is null).Select(h => h.Name).ToList();
        var content = Content(vault);
        var unreadable = content.Trust.Where(t => t.Roots is null).Select(t => $"{t.Location} ({t.Problem})")
            .Concat(content.Issuer is { Chain: null } i ? [$"{i.Location} ({i.Problem})"] : [])
            .Concat(vault.CaKey.Value is { } key && !ReadsAsKey(key) ? [$"{vault.CaKey.Location(_vault.VaultUri)} (not a PEM private key)"] : [])
            .ToList();
        checks.Add(new PreflightCheck("key vault secrets", missing.Count == 0 && unreadable.Count == 0, missing.Count > 0
            ? $"key vault {_vault.VaultUri.Host} has no secret {string.Join(", ", missing)}: the add-on's plug-in CA needs all four (see docs/targets.md)"
            : unreadable.Count > 0 ? $"unreadable: {string.Join("; ", unreadable)}"
            : $"key vault {_vault.VaultUri.Host} holds {string.Join(", ", vault.All.Select(h => $"{h.Name} ({h.Version})"))}"));

        var istiod = await GuardAsync($"reading deployment {_options.Istio.Namespace}/{_options.Istio.IstiodDeployment}",
            () => OrNullAsync(Client.AppsV1.ReadNamespacedDeploymentAsync(_options.Istio.IstiodDeployment, _options.Istio.Namespace, cancellationToken: cancellationToken)), cancellationToken);
        var mountsSpc = istiod?.Spec?.Template?.Spec?.Volumes?.Any(v => v.Csi?.Driver == CsiDriver
            && v.Csi.VolumeAttributes?.TryGetValue("secretProviderClass", out var spc) == true && spc == SecretProviderClass) == true;
        checks.Add(new PreflightCheck("add-on istiod", mountsSpc, istiod is null
            ? $"deployment {_options.Istio.Namespace}/{_options.Istio.IstiodDeployment} not found: is the add-on at revision {_options.Revision} (az aks mesh get-revisions)?"
            : mountsSpc
                ? $"deployment {_options.Istio.Namespace}/{_options.Istio.IstiodDeployment} mounts its CA from SecretProviderClass {SecretProviderClass} (the add-on's plug-in CA)"
                : $"deployment {_options.Istio.Namespace}/{_options.Istio.IstiodDeployment} mounts no CSI volume of SecretProviderClass {SecretProviderClass}: the add-on runs without a plug-in CA (enable it with az aks mesh enable --key-vault-id …)"));

        var synced = await ReadSecretAsync(_options.Istio.Namespace, _options.Istio.Secret, cancellationToken);
        var unsynced = Unsynced(vault, synced, vault.All);
        checks.Add(new PreflightCheck("csi sync", unsynced.Count == 0, unsynced.Count == 0
            ? $"secret {SyncedSecret} holds what Key Vault holds"
            : $"secret {SyncedSecret} does not hold Key Vault's {string.Join(", ", unsynced)} yet: wait for the CSI driver's next poll (every {_options.CsiPollInterval.TotalSeconds:0}s) and check again"));

        var cluster = await _cluster.PreflightAsync(kind, cancellationToken);
        checks.AddRange(cluster.Checks);
        return new PreflightReport(Name, checks);
    }

    public override async Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var vault = await ReadVaultAsync(cancellationToken);
        if (vault.CaCert.Value is null)
            throw new TargetUnavailableException(Name, $"cluster '{Cluster}': {vault.CaCert.Location(_vault.VaultUri)} holds no plug-in CA, so there is no issuer to keep beside the new bundle");
        if (ObjectPem.SameSet(vault.Root.Value, bundle))
            return;
        var currentChain = Pem.ReadCertificates(vault.CertChain.Value ?? vault.CaCert.Value, vault.CertChain.Location(_vault.VaultUri));
        var rule = await _cluster.ReloadRuleAsync(cancellationToken);
        var plan = IstioRootCertPlan.For(vault.Root.Value, bundle, issuerChanges: false, currentChain[^1], rule);
        // No istiod restart even when the plan says istiod will not reload in place: the add-on owns istiod (it restarts
        // it for root changes itself); the gates hold until the cluster shows the roots loaded, however that happens.
        await _vault.WriteAsync(_options.RootCertObjectName, plan.Text, context, Previous(vault), cancellationToken);
    }

    public override async Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var chain = issuer.ChainToRoot.ToList();
        if (chain.Count == 0 || !chain[0].Equals(issuer.Issuer.Certificate))
            chain.Insert(0, issuer.Issuer.Certificate);
        var vault = await ReadVaultAsync(cancellationToken);
        var previous = Previous(vault);
        var sameIssuer = ObjectPem.SameCertificates(vault.CaCert.Value, [issuer.Issuer.Certificate]) && ObjectPem.SameCertificates(vault.CertChain.Value, chain);
        var rule = await _cluster.ReloadRuleAsync(cancellationToken);
        var plan = IstioRootCertPlan.For(vault.Root.Value, issuer.Bundle, issuerChanges: !sameIssuer, chain[^1], rule);

        // Key Vault has no multi-secret write and the CSI driver may poll between two writes. The order makes every
        // state in between one istiod either already trusts or refuses as a whole (it keeps its previous CA): the
        // bundle first (it carries the new chain's root), then the chain, the key, and the certificate last.
        var writes = new (string Name, string? Current, string Next)[]
        {
            (_options.RootCertObjectName, vault.Root.Value, plan.Text),
            (_options.CertChainObjectName, vault.CertChain.Value, Pem.WriteCertificates(chain)),
            (_options.KeyObjectName, vault.CaKey.Value, issuer.Issuer.Key.ToPkcs8Pem()),
            (_options.CertObjectName, vault.CaCert.Value, issuer.Issuer.Certificate.ToPem()),
        };
        foreach (var (name, current, next) in writes)
        {
            if (current != next)
                await _vault.WriteAsync(name, next, context, previous, cancellationToken);
        }
    }

    /// <summary>
    /// The cluster's trust, as for upstream Istio, preceded by a holding store while the synced cacerts does not hold
    /// Key Vault's root-cert yet. The proxies' time rule counts from the root-cert version's creation plus one CSI poll
    /// interval: the latest the cluster can have received it, when the driver polls on schedule.
    /// </summary>
    public override async Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        var vault = await ReadVaultAsync(cancellationToken);
        var synced = await ReadSecretAsync(_options.Istio.Namespace, _options.Istio.Secret, cancellationToken);
        var stores = new List<TrustStoreObservation>();
        if (Unsynced(vault, synced, [vault.Root]).Count > 0)
            stores.Add(new TrustStoreObservation(
                $"{vault.Root.Location(_vault.VaultUri)} version {vault.Root.Version ?? "(none)"} (not yet in secret {SyncedSecret}: the CSI driver loads it at its next poll, every {_options.CsiPollInterval.TotalSeconds:0}s)", []));
        var changedAt = vault.Root.CreatedOn is { } created ? created + _options.CsiPollInterval : (DateTimeOffset?)null;
        var cluster = await _cluster.ReportTrustAsync(changedAt, cancellationToken);
        stores.AddRange(cluster.Stores);
        return new TrustReport(Name, stores);
    }

    /// <summary>
    /// Holds while the synced cacerts lacks Key Vault's issuer (istiod still signs from the previous one), then the
    /// upstream Istio leaf evidence (it holds while an istiod replica serves another chain). Issuing is counted from
    /// the ca-cert version's creation plus one poll interval.
    /// </summary>
    public override async Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default)
    {
        var vault = await ReadVaultAsync(cancellationToken);
        var synced = await ReadSecretAsync(_options.Istio.Namespace, _options.Istio.Secret, cancellationToken);
        var unsynced = Unsynced(vault, synced, [vault.CaCert, vault.CaKey, vault.CertChain]);
        const string Note = "Istio workload certificates live only in the proxies' memory";
        if (unsynced.Count > 0)
            return new LeafReport(Name, false, [], Note,
                Holds: $"cluster '{Cluster}': secret {SyncedSecret} does not hold Key Vault's {string.Join(", ", unsynced)} yet (the CSI driver polls every {_options.CsiPollInterval.TotalSeconds:0}s): istiod still signs from the previous issuer");
        var cluster = await _cluster.ReportLeavesAsync(cancellationToken);
        return cluster with { IssuingSince = vault.CaCert.CreatedOn is { } created ? created + _options.CsiPollInterval : null };
    }

    /// <summary>What the four Key Vault secrets hold now: the drift gate compares it with the store before every write.</summary>
    public override async Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default) =>
        Content(await ReadVaultAsync(cancellationToken));

    public Task<IReadOnlyList<HeldRoots>> ReadPublishedAsync(CancellationToken cancellationToken = default) => _cluster.ReadPublishedAsync(cancellationToken);

    private TargetContent Content(VaultSecrets vault) => new(Name,
        [Held(vault.Root.Location(_vault.VaultUri), vault.Root.Value)],
        HeldIssuerOf(vault.CaCert.Location(_vault.VaultUri), vault.CaCert.Value, vault.CertChain.Value, vault.CaKey.Value));

    private async Task<VaultSecrets> ReadVaultAsync(CancellationToken cancellationToken)
    {
        var reads = await Task.WhenAll(_options.ObjectNames.Select(n => _vault.ReadAsync(n, cancellationToken)));
        return new VaultSecrets(reads[0], reads[1], reads[2], reads[3]);
    }

    /// <summary>The Key Vault secrets among <paramref name="which"/> whose value the synced cacerts does not hold byte for byte.</summary>
    private List<string> Unsynced(VaultSecrets vault, V1Secret? synced, IEnumerable<PluginCaVault.Held> which) =>
        which.Where(h => h.Value is not null && Text(synced, FileOf(vault, h)) != h.Value).Select(h => h.Name).ToList();

    private static string FileOf(VaultSecrets vault, PluginCaVault.Held held) =>
        held == vault.Root ? RootFile : held == vault.CaCert ? CaCertFile : held == vault.CaKey ? CaKeyFile : CertChainFile;

    private static string Previous(VaultSecrets vault) =>
        string.Join(";", ObjectPem.Summary("issuer", vault.CaCert.Value), ObjectPem.Summary("roots", vault.Root.Value));

    private static bool ReadsAsKey(string pem)
    {
        try
        {
            _ = PrivateKey.FromPem(pem);
            return true;
        }
        catch (PkiException)
        {
            return false;
        }
    }

    private sealed record VaultSecrets(PluginCaVault.Held Root, PluginCaVault.Held CaCert, PluginCaVault.Held CaKey, PluginCaVault.Held CertChain)
    {
        public IReadOnlyList<PluginCaVault.Held> All => [Root, CaCert, CaKey, CertChain];
    }
}

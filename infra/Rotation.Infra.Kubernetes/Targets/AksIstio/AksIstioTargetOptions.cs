using System.Text.RegularExpressions;
using Rotation.Core.Domain;
using Rotation.Infra.Kubernetes.Targets.Istio;

namespace Rotation.Infra.Kubernetes.Targets.AksIstio;

/// <summary>
/// The AKS Istio add-on's plug-in CA: the Key Vault and the four secret names the cluster's
/// serviceMeshProfile.istio.certificateAuthority.plugin names (keyVaultId, rootCertObjectName, certObjectName,
/// keyObjectName, certChainObjectName; the same as az aks mesh enable --root-cert-object-name …), the add-on
/// revision (asm-1-xx) whose istiod reads them, and the Istio evidence options.
/// </summary>
/// <param name="KeyVault">The vault's URI, https://NAME.vault.azure.net/ (the AKS API stores its resource id; Rotation calls its data plane).</param>
/// <param name="CsiPollInterval">The azure-keyvault-secrets-provider add-on's rotationPollInterval (default 2m): added to the proxies' time rule, since a secret written reaches the cluster only at the next poll.</param>
public sealed partial record AksIstioTargetOptions(
    Uri KeyVault,
    string Revision,
    string RootCertObjectName,
    string CertObjectName,
    string KeyObjectName,
    string CertChainObjectName,
    TimeSpan CsiPollInterval,
    IstioTargetOptions Istio)
{
    public const string DefaultNamespace = "aks-istio-system";

    public static readonly IReadOnlyList<string> Keys =
    [
        "keyVault", "revision", "rootCertObjectName", "certObjectName", "keyObjectName", "certChainObjectName", "csiPollInterval",
        "namespace", "secret", "istiodDeployment", "rootConfigMap", "istiodVersion", "meshConfigMap", "proxySample", "workloadCertTtl", "trustGrace",
    ];

    public IReadOnlyList<string> ObjectNames => [RootCertObjectName, CertObjectName, KeyObjectName, CertChainObjectName];

    public static AksIstioTargetOptions From(TargetSpec spec)
    {
        var options = new TargetOptionReader(spec);
        var vaultText = options.Required("keyVault");
        if (!Uri.TryCreate(vaultText, UriKind.Absolute, out var vault) || vault.Scheme != Uri.UriSchemeHttps || vault.AbsolutePath != "/" || vault.Query.Length > 0)
            throw new DomainException($"target '{spec.Kind}' option 'keyVault' must be a vault URI like https://NAME.vault.azure.net, not '{vaultText}'");
        var revision = options.Required("revision");
        if (!RevisionPattern().IsMatch(revision))
            throw new DomainException($"target '{spec.Kind}' option 'revision' must be an add-on revision like asm-1-26, not '{revision}'");
        var names = new[] { "rootCertObjectName", "certObjectName", "keyObjectName", "certChainObjectName" }
            .Select((key, i) => (key, value: options.Get(key, new[] { "root-cert", "ca-cert", "ca-key", "cert-chain" }[i])))
            .ToList();
        foreach (var (key, value) in names)
        {
            if (!SecretName().IsMatch(value))
                throw new DomainException($"target '{spec.Kind}' option '{key}' must be a Key Vault secret name (1-127 of 0-9, a-z, A-Z, -), not '{value}'");
        }

        if (names.Select(n => n.value).Distinct(StringComparer.OrdinalIgnoreCase).Count() != names.Count)
            throw new DomainException($"target '{spec.Kind}' needs four different Key Vault secret names, not {string.Join(", ", names.Select(n => n.value))}");
        var version = options.Get("istiodVersion", "");
        if (version.Length > 0 && Core.Authorities.Istio.IstiodVersion.Parse(version) is null)
            throw new DomainException($"target '{spec.Kind}' option 'istiodVersion' must look like 1.26.2, not '{version}'");
        var istio = new IstioTargetOptions(
            options.Get("namespace", DefaultNamespace),
            options.Get("secret", "cacerts"),
            options.Get("istiodDeployment", "istiod-" + revision),
            options.Get("rootConfigMap", "istio-ca-root-cert"),
            version.Length > 0 ? version : null,
            // A revisioned install names its mesh config ConfigMap istio-REVISION.
            options.Get("meshConfigMap", "istio-" + revision),
            options.PositiveInt("proxySample", 50),
            IstioTargetOptions.Duration(options, "workloadCertTtl"),
            IstioTargetOptions.Duration(options, "trustGrace"));
        return new AksIstioTargetOptions(
            new Uri(vault.GetLeftPart(UriPartial.Authority) + "/"), revision, names[0].value, names[1].value, names[2].value, names[3].value,
            IstioTargetOptions.Duration(options, "csiPollInterval") ?? TimeSpan.FromMinutes(2),
            istio);
    }

    [GeneratedRegex(@"\Aasm-\d+-\d+\z", RegexOptions.CultureInvariant)]
    private static partial Regex RevisionPattern();

    [GeneratedRegex(@"\A[0-9a-zA-Z-]{1,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}

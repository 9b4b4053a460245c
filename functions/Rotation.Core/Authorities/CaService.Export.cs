using Rotation.Core.Authorities.Istio;
using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities;

public sealed partial class CaService
{
    /// <summary>
    /// Writes the Istio plug-in CA files exactly as the Istio target has written cacerts by now: during a rotation the
    /// issuer and root-cert.pem of the phase reached (see <see cref="IstioCacertsHistory"/>), whose bytes depend on
    /// <paramref name="istiod"/>'s reload rule. The issuing key (created exportable: istiod must hold it) is exported
    /// from custody before anything is written, so a wrong passphrase leaves the output directory untouched. The key
    /// file is unencrypted PKCS#8 because istiod reads it that way; it is created 0600.
    /// </summary>
    public async Task<IstioCaFiles> ExportIstioAsync(string? domain, string outputDirectory, IstiodReloadRule? istiod = null, CancellationToken cancellationToken = default)
    {
        var trustDomain = await DomainSelection.ResolveAsync(_store, domain, cancellationToken);
        var inventory = await LoadInventoryAsync(trustDomain.Name, cancellationToken);
        var rotations = await _store.ListRotationsAsync(trustDomain.Name, cancellationToken);
        var rule = istiod ?? new IstiodReloadRule(IstiodReloadRule.FallbackVersion, MultiRoot: true);
        var state = IstioCacertsHistory.Replay(inventory, rotations, rule, TrustBundleOf, _custody);
        var intermediate = state.Issuer;
        var root = ParentOf(inventory, intermediate);
        var key = await _custody.ExportAsync(intermediate.Key, cancellationToken);

        var files = IstioCaFiles.In(outputDirectory);
        await OutputFiles.WriteSecretAsync(files.CaKey, key.ToPkcs8Pem(), cancellationToken);
        await OutputFiles.WritePublicAsync(files.CaCert, intermediate.Certificate.ToPem(), cancellationToken);
        await OutputFiles.WritePublicAsync(files.RootCert, state.RootCertText, cancellationToken);
        await OutputFiles.WritePublicAsync(files.CertChain, Pem.WriteCertificates([intermediate.Certificate, root.Certificate]), cancellationToken);
        return files;
    }

    /// <summary>Writes the trust bundle (every root not yet retired) to <paramref name="file"/>.</summary>
    public async Task<TrustBundle> ExportBundleAsync(string? domain, string file, CancellationToken cancellationToken = default)
    {
        var trustDomain = await DomainSelection.ResolveAsync(_store, domain, cancellationToken);
        var bundle = TrustBundleOf(await LoadInventoryAsync(trustDomain.Name, cancellationToken));
        await OutputFiles.WritePublicAsync(file, bundle.ToPem(), cancellationToken);
        return bundle;
    }

    /// <summary>The roots some trust store may still need: during a rotation that is old and new.</summary>
    private static TrustBundle TrustBundleOf(CaInventory inventory)
    {
        var bundle = TrustBundle.Of(inventory.NotRetired.Where(a => a.Role == CaRole.Root).Select(a => a.Certificate));
        return bundle.Count > 0
            ? bundle
            : throw new DomainException($"trust domain '{inventory.Domain}' has no root that is not retired: the store is inconsistent, inspect it with 'rotation inventory'");
    }

    private static CertificateAuthority ParentOf(CaInventory inventory, CertificateAuthority authority) =>
        (authority.ParentId is null ? null : inventory.Find(authority.ParentId))
        ?? throw new DomainException($"CA '{authority.Id}' of trust domain '{inventory.Domain}' names parent '{authority.ParentId}', which is not in the store: the store is inconsistent, restore it from a backup");
}

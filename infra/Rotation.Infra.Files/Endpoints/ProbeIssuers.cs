using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Infra.Files.Endpoints;

/// <summary>A root of the domain and an intermediate under it whose key can sign a throwaway probe leaf.</summary>
public sealed record ProbeIssuer(CertificateAuthority Root, CertificateAuthority Intermediate, CertificateWithKey Signer);

/// <summary>Where probe leaves come from: one signer per root the domain has not retired.</summary>
public interface IProbeIssuers
{
    Task<IReadOnlyList<ProbeIssuer>> LoadAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The domain's own intermediates, keys exported from its key custody (issuing keys are exportable) at each gate check. Per root the active
/// intermediate is preferred, then a prepared one, then a retiring one: a leaf from any of them proves the same
/// thing (the endpoint trusts that root), because intermediates are not trust anchors.
/// </summary>
public sealed class DomainProbeIssuers(IStateStore store, IKeyCustody custody, string domain, TimeProvider time) : IProbeIssuers
{
    public async Task<IReadOnlyList<ProbeIssuer>> LoadAsync(CancellationToken cancellationToken)
    {
        var authorities = await store.ListAuthoritiesAsync(domain, cancellationToken);
        var issuers = new List<ProbeIssuer>();
        var now = time.GetUtcNow();
        foreach (var root in authorities.Where(a => a.Role == CaRole.Root && a.Status != CaStatus.Retired))
        {
            var intermediate = authorities
                .Where(a => a.Role == CaRole.Intermediate && a.ParentId == root.Id && a.Status != CaStatus.Retired && a.Certificate.NotAfter > now)
                .OrderBy(a => a.Status switch { CaStatus.Active => 0, CaStatus.Prepared => 1, _ => 2 })
                .FirstOrDefault();
            if (intermediate is null)
                continue;
            var key = await custody.ExportAsync(intermediate.Key, cancellationToken);
            issuers.Add(new ProbeIssuer(root, intermediate, CertificateWithKey.Create(intermediate.Certificate, key)));
        }

        return issuers;
    }
}

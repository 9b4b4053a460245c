using Rotation.Core.Domain;
using Rotation.Core.Expiry;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities;

public sealed partial class CaService
{
    /// <summary>Every CA of <paramref name="domain"/> (or of all domains), roots first, newest first within a role.</summary>
    public async Task<IReadOnlyList<CaInventoryRow>> InventoryAsync(
        string? domain,
        ExpiryPolicyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ExpiryPolicyOptions();
        var at = _time.GetUtcNow();
        var rows = new List<CaInventoryRow>();
        foreach (var trustDomain in await DomainSelection.SelectAsync(_store, domain, cancellationToken))
        {
            var authorities = await _store.ListAuthoritiesAsync(trustDomain.Name, cancellationToken);
            rows.AddRange(authorities
                .OrderBy(a => a.Role)
                .ThenByDescending(a => a.NotBefore)
                .ThenBy(a => a.Id, StringComparer.Ordinal)
                .Select(a => ToRow(a, Assess(a, at, options))));
        }

        return rows;
    }

    private static ExpiryAssessment Assess(CertificateAuthority authority, DateTimeOffset at, ExpiryPolicyOptions options) =>
        ExpiryPolicy.Assess(authority.LayerOf(), authority.Certificate, at, options);

    private static CaInventoryRow ToRow(CertificateAuthority authority, ExpiryAssessment assessment) => new(
        authority.Domain,
        authority.Id,
        authority.Role,
        authority.Status,
        authority.Subject,
        authority.Certificate.Issuer,
        authority.NotBefore,
        authority.NotAfter,
        // Sub-second precision is noise to an operator and makes outputs of the same instant differ.
        TimeSpan.FromSeconds(Math.Truncate(assessment.TimeLeft.TotalSeconds)),
        assessment.LifetimeLeftFraction * 100,
        assessment.State,
        assessment.RotationDue,
        authority.Sha256,
        authority.KeyAlgorithm.ToName(),
        // The same RFC 5280 checks as `rotation verify --strict` (openssl -x509_strict), so an adopted or hand-made CA
        // that a strict peer would refuse is visible before any rotation depends on it.
        StrictChecks.OfAuthority(authority.Certificate));
}

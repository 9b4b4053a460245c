using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Core.Authorities;

/// <summary>Turns an optional --domain into a known trust domain: omitted is fine only when there is exactly one.</summary>
public static class DomainSelection
{
    public static async Task<TrustDomain> ResolveAsync(IStateStore store, string? domain, CancellationToken cancellationToken = default)
    {
        var domains = await store.ListDomainsAsync(cancellationToken);
        if (domain is null)
        {
            return domains.Count switch
            {
                1 => domains[0],
                0 => throw new DomainException("there is no trust domain yet: create one with 'rotation init --domain <name>'"),
                _ => throw new DomainException($"there are {domains.Count} trust domains ({Names(domains)}): choose one with --domain"),
            };
        }

        return domains.FirstOrDefault(d => d.Name == domain)
            ?? throw new DomainException(domains.Count == 0
                ? $"unknown trust domain '{domain}': there is none yet, create it with 'rotation init --domain {domain}'"
                : $"unknown trust domain '{domain}': known domains are {Names(domains)}");
    }

    /// <summary>All domains when <paramref name="domain"/> is null, else that one (which must exist).</summary>
    public static async Task<IReadOnlyList<TrustDomain>> SelectAsync(IStateStore store, string? domain, CancellationToken cancellationToken = default) =>
        domain is null
            ? await store.ListDomainsAsync(cancellationToken)
            : [await ResolveAsync(store, domain, cancellationToken)];

    private static string Names(IEnumerable<TrustDomain> domains) => string.Join(", ", domains.Select(d => d.Name).Order(StringComparer.Ordinal));
}

using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Infra.Files;

/// <summary>The CAs a domain's store knows (any status), read at each use so a just-prepared root counts.</summary>
public interface IDomainMaterial
{
    string Domain { get; }

    Task<IReadOnlyList<CertificateAuthority>> AuthoritiesAsync(CancellationToken cancellationToken);
}

public sealed class StoreDomainMaterial(IStateStore store, string domain) : IDomainMaterial
{
    public string Domain => domain;

    public Task<IReadOnlyList<CertificateAuthority>> AuthoritiesAsync(CancellationToken cancellationToken) =>
        store.ListAuthoritiesAsync(domain, cancellationToken);
}

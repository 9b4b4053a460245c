using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Infra.Files.Tests.Support;

/// <summary>A domain's store as the files target sees it: the CAs it knows.</summary>
public sealed class KnownAuthorities(params CertificateWithKey[] known) : IDomainMaterial
{
    public string Domain => TestPki.TrustDomain;

    public Task<IReadOnlyList<CertificateAuthority>> AuthoritiesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CertificateAuthority>>(known
            .Select((c, i) => new CertificateAuthority($"ca-{i}", Domain, c.Certificate.IsSelfSigned ? CaRole.Root : CaRole.Intermediate, CaStatus.Active, null, c.Certificate, new KeyReference("test", $"ca-{i}")))
            .ToList());
}

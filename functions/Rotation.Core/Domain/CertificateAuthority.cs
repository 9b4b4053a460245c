using Rotation.Core.Pki;

namespace Rotation.Core.Domain;

/// <summary>One CA of a trust domain. The certificate is public; the key is only referenced.</summary>
public sealed record CertificateAuthority(
    string Id,
    string Domain,
    CaRole Role,
    CaStatus Status,
    string? ParentId,
    Certificate Certificate,
    KeyReference Key,
    long Version = 0)
{
    public string Subject => Certificate.Subject;
    public DateTimeOffset NotBefore => Certificate.NotBefore;
    public DateTimeOffset NotAfter => Certificate.NotAfter;
    public string Sha256 => Certificate.Sha256;
    public KeyAlgorithm KeyAlgorithm => Certificate.KeyAlgorithm;

    public CertificateAuthority WithStatus(CaStatus status) => this with { Status = status };
}

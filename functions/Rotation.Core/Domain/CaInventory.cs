namespace Rotation.Core.Domain;

/// <summary>The CAs of one trust domain, with the invariant that outside a rotation there is exactly one active root and one active intermediate.</summary>
public sealed class CaInventory
{
    public CaInventory(string domain, IReadOnlyList<CertificateAuthority> authorities)
    {
        Domain = domain;
        Authorities = authorities;
    }

    public string Domain { get; }
    public IReadOnlyList<CertificateAuthority> Authorities { get; }

    public CertificateAuthority? Find(string id) => Authorities.FirstOrDefault(a => a.Id == id);

    public CertificateAuthority ActiveRoot => Single(CaRole.Root);
    public CertificateAuthority ActiveIntermediate => Single(CaRole.Intermediate);

    /// <summary>Every CA that some trust store may still hold: active, retiring, and prepared ones under distribution.</summary>
    public IEnumerable<CertificateAuthority> NotRetired => Authorities.Where(a => a.Status != CaStatus.Retired);

    private CertificateAuthority Single(CaRole role)
    {
        var active = Authorities.Where(a => a.Role == role && a.Status == CaStatus.Active).ToList();
        return active.Count switch
        {
            1 => active[0],
            0 => throw new DomainException($"trust domain '{Domain}' has no active {role.ToString().ToLowerInvariant()} CA: run 'rotation init' or finish the rotation in progress"),
            _ => throw new DomainException($"trust domain '{Domain}' has {active.Count} active {role.ToString().ToLowerInvariant()} CAs: the store is inconsistent, inspect it with 'rotation inventory'"),
        };
    }
}

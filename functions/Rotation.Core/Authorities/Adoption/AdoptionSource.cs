using Rotation.Core.Pki;

namespace Rotation.Core.Authorities.Adoption;

/// <summary>
/// An existing CA to bring under management: the trusted roots (one or several), optionally the key of the root the
/// issuer chains to, the issuing intermediate with its key, and whatever chain came with it. <see cref="Origin"/> names
/// where it was read, for messages ("directory ./cacerts (istio layout)", "cluster prod").
/// </summary>
public sealed record AdoptionSource(
    string Origin,
    IReadOnlyList<Certificate> Roots,
    PrivateKey? RootKey,
    Certificate Intermediate,
    PrivateKey IntermediateKey,
    IReadOnlyList<Certificate> Chain);

/// <summary>What adoption did: the domain's CAs now, one warning line per deviation accepted, and the CAs it retired.</summary>
public sealed record AdoptionResult(Domain.CaInventory Inventory, IReadOnlyList<string> Warnings, IReadOnlyList<Domain.CertificateAuthority> Retired, bool Created);

using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Core.Ports;

/// <summary>An <see cref="ICertificateSigner"/> that signs with a key in custody, by reference.</summary>
public sealed class CustodySigner(IKeyCustody custody, KeyReference reference, PublicKey publicKey) : ICertificateSigner
{
    public CustodySigner(IKeyCustody custody, CustodyKey key)
        : this(custody, key.Reference, key.PublicKey)
    {
    }

    public KeyReference Reference { get; } = reference;

    public PublicKey PublicKey { get; } = publicKey;

    public Task<byte[]> SignAsync(ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default) =>
        custody.SignAsync(Reference, toBeSigned, cancellationToken);
}

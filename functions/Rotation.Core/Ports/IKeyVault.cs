using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Core.Ports;

/// <summary>
/// Holds CA private keys. The store only keeps <see cref="KeyReference"/>s. Implementations never log key
/// material and never write it unencrypted.
/// </summary>
public interface IKeyVault
{
    /// <summary>The provider name written into references ("local", "keyvault").</summary>
    string Provider { get; }

    /// <summary>Stores <paramref name="key"/> under <paramref name="name"/>. Storing the same key under the same name again is a no-op; a different key under an existing name throws.</summary>
    Task<KeyReference> StoreAsync(string name, PrivateKey key, CancellationToken cancellationToken = default);

    /// <summary>Throws <see cref="PkiException"/> when the key is missing or cannot be decrypted (wrong passphrase), with what to do.</summary>
    Task<PrivateKey> LoadAsync(KeyReference reference, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(KeyReference reference, CancellationToken cancellationToken = default);
}

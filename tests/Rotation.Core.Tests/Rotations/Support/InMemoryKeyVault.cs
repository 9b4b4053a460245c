using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Core.Tests.Rotations.Support;

/// <summary>IKeyVault in memory with the local vault's idempotency contract.</summary>
public sealed class InMemoryKeyVault : IKeyVault
{
    private readonly Dictionary<string, byte[]> _keys = [];

    public string Provider => "memory";

    /// <summary>When set, StoreAsync refuses with this reason (a read-only or misconfigured vault).</summary>
    public string? RefuseStores { get; set; }

    public Task<KeyReference> StoreAsync(string name, PrivateKey key, CancellationToken cancellationToken = default)
    {
        if (RefuseStores is { } reason)
        {
            throw new PkiException(reason);
        }

        lock (_keys)
        {
            var der = key.ExportPkcs8Der();
            if (_keys.TryGetValue(name, out var existing) && !existing.AsSpan().SequenceEqual(der))
            {
                throw new PkiException($"key '{name}' already exists with different material");
            }

            _keys[name] = der;
            return Task.FromResult(new KeyReference(Provider, name));
        }
    }

    public Task<PrivateKey> LoadAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        lock (_keys)
        {
            return _keys.TryGetValue(reference.Name, out var der)
                ? Task.FromResult(PrivateKey.FromPkcs8Der(der))
                : throw new PkiException($"no key '{reference.Name}'");
        }
    }

    public Task<bool> ExistsAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        lock (_keys)
        {
            return Task.FromResult(_keys.ContainsKey(reference.Name));
        }
    }
}

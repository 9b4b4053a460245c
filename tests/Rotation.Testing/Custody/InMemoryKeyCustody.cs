using System.Globalization;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Testing.Custody;

/// <summary>
/// <see cref="IKeyCustody"/> in memory for engine tests, held to the same contract as the local vault and Key Vault
/// (InMemoryKeyCustodyContractTests). It counts signatures and creations so tests can prove a re-run signs nothing twice.
/// </summary>
public sealed class InMemoryKeyCustody : IKeyCustody
{
    private readonly Dictionary<string, List<Entry>> _keys = [];
    private int _signatures;
    private int _creations;

    public string Provider => "memory";

    /// <summary>When set, creating or importing a key refuses with this reason (a read-only or misconfigured vault).</summary>
    public string? RefuseCreates { get; set; }

    /// <summary>How many times a key in this custody signed.</summary>
    public int Signatures => Volatile.Read(ref _signatures);

    /// <summary>How many key versions were created or imported.</summary>
    public int Creations => Volatile.Read(ref _creations);

    /// <summary>
    /// Awaited before each create, outside the custody's lock: a test throws from it to kill the caller mid-operation
    /// (or to make the vault refuse one request), or runs a command (an abort) at exactly that point.
    /// </summary>
    public Func<CustodyKeyRequest, Task>? BeforeCreate { get; set; }

    public async Task<CustodyKey> CreateKeyAsync(CustodyKeyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        Refuse(request);
        if (BeforeCreate is { } hook)
        {
            await hook(request);
        }

        return Create(request);
    }

    private CustodyKey Create(CustodyKeyRequest request)
    {
        lock (_keys)
        {
            var versions = VersionsOf(request.Name);
            var mine = versions.LastOrDefault(v => v.OperationId == request.OperationId);
            if (mine is not null)
            {
                return mine.ToKey(Provider, request.Name);
            }

            var entry = new Entry(versions.Count + 1, PrivateKey.Generate(request.Algorithm), request.Exportable, request.OperationId);
            versions.Add(entry);
            _creations++;
            return entry.ToKey(Provider, request.Name);
        }
    }

    public Task<CustodyKey> ImportKeyAsync(CustodyKeyRequest request, PrivateKey key, IReadOnlyList<Certificate> chain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(chain);
        Refuse(request);
        var publicKey = PublicKey.Of(key);
        if (chain.Count == 0 || !publicKey.Matches(chain[0]))
        {
            throw new PkiException($"import of key '{request.Name}': the chain must start with the certificate of the imported key");
        }

        lock (_keys)
        {
            var versions = VersionsOf(request.Name);
            var held = versions.FirstOrDefault(v => PublicKey.Of(v.Key).Equals(publicKey));
            if (held is null)
            {
                held = new Entry(versions.Count + 1, key, request.Exportable, request.OperationId) { State = CustodyKeyState.Active, Chain = [.. chain] };
                versions.Add(held);
                _creations++;
            }

            return Task.FromResult(held.ToKey(Provider, request.Name));
        }
    }

    public Task<CustodyKey> GetKeyAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        lock (_keys)
        {
            return Task.FromResult(Resolve(reference).ToKey(Provider, reference.Name));
        }
    }

    public async Task<byte[]> SignAsync(KeyReference reference, ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default)
    {
        PrivateKey key;
        lock (_keys)
        {
            var entry = Resolve(reference);
            if (entry.State == CustodyKeyState.Retired)
            {
                throw new PkiException($"key {reference} is retired: it signs nothing");
            }

            key = entry.Key;
        }

        Interlocked.Increment(ref _signatures);
        return await new PrivateKeySigner(key).SignAsync(toBeSigned, cancellationToken);
    }

    public Task<CustodyKey> AttachCertificateAsync(KeyReference reference, IReadOnlyList<Certificate> chain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chain);
        lock (_keys)
        {
            var entry = Resolve(reference);
            if (chain.Count == 0 || !PublicKey.Of(entry.Key).Matches(chain[0]))
            {
                throw new PkiException($"certificate does not carry key {reference}'s public key: attach the certificate issued for this key");
            }

            switch (entry.State)
            {
                case CustodyKeyState.Active when entry.Chain.Count > 0 && entry.Chain[0].Equals(chain[0]):
                    return Task.FromResult(entry.ToKey(Provider, reference.Name));
                case CustodyKeyState.Active:
                    throw new PkiException($"key {reference} already has a certificate attached: create a new key version for a new certificate");
                case CustodyKeyState.Retired:
                    throw new PkiException($"key {reference} is retired: create a new key");
            }

            entry.State = CustodyKeyState.Active;
            entry.Chain = [.. chain];
            return Task.FromResult(entry.ToKey(Provider, reference.Name));
        }
    }

    public Task<PrivateKey> ExportAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        lock (_keys)
        {
            var entry = Resolve(reference);
            if (!entry.Exportable)
            {
                throw new PkiException($"key {reference} was created non-exportable and never leaves its custody: sign through the custody instead");
            }

            return entry.State == CustodyKeyState.Retired
                ? throw new PkiException($"key {reference} is retired: export the CA's current key")
                : Task.FromResult(PrivateKey.FromPkcs8Der(entry.Key.ExportPkcs8Der()));
        }
    }

    public Task RetireAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        lock (_keys)
        {
            Resolve(reference).State = CustodyKeyState.Retired;
            return Task.CompletedTask;
        }
    }

    public Task<IReadOnlyList<KeyReference>> RetireOperationAsync(string name, string operationId, CancellationToken cancellationToken = default)
    {
        lock (_keys)
        {
            var retired = new List<KeyReference>();
            foreach (var entry in VersionsOf(name).Where(v => v.OperationId == operationId && v.State != CustodyKeyState.Retired))
            {
                entry.State = CustodyKeyState.Retired;
                retired.Add(new KeyReference(Provider, name, entry.Version.ToString(CultureInfo.InvariantCulture)));
            }

            return Task.FromResult<IReadOnlyList<KeyReference>>(retired);
        }
    }

    private void Refuse(CustodyKeyRequest request)
    {
        if (RefuseCreates is { } reason)
        {
            throw new PkiException(reason);
        }

        if (request.Role == CaRole.Root && request.Exportable)
        {
            throw new PkiException($"root key '{request.Name}' cannot be exportable: a root key never leaves its custody");
        }

        if (string.IsNullOrWhiteSpace(request.OperationId))
        {
            throw new PkiException($"key '{request.Name}': an operation id is required so a retry finds the same key");
        }
    }

    private List<Entry> VersionsOf(string name)
    {
        if (!_keys.TryGetValue(name, out var versions))
        {
            versions = [];
            _keys[name] = versions;
        }

        return versions;
    }

    private Entry Resolve(KeyReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Provider != Provider)
        {
            throw new PkiException($"key '{reference.Name}' belongs to custody '{reference.Provider}', not '{Provider}'");
        }

        var versions = _keys.TryGetValue(reference.Name, out var found) ? found : [];
        var entry = reference.Version is null
            ? versions.LastOrDefault(v => v.State == CustodyKeyState.Active) ?? versions.LastOrDefault()
            : versions.FirstOrDefault(v => v.Version.ToString(CultureInfo.InvariantCulture) == reference.Version);
        return entry ?? throw new PkiException($"no key {reference} in memory custody");
    }

    private sealed class Entry(int version, PrivateKey key, bool exportable, string operationId)
    {
        public int Version { get; } = version;
        public PrivateKey Key { get; } = key;
        public bool Exportable { get; } = exportable;
        public string OperationId { get; } = operationId;
        public CustodyKeyState State { get; set; } = CustodyKeyState.Pending;
        public IReadOnlyList<Certificate> Chain { get; set; } = [];

        public CustodyKey ToKey(string provider, string name) =>
            new(new KeyReference(provider, name, Version.ToString(CultureInfo.InvariantCulture)), PublicKey.Of(Key), Exportable, State, Chain);
    }
}

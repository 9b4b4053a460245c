using System.Globalization;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Infra.LocalVault;

/// <summary>
/// Key custody over the local vault's directory. Keys stay the vault's encrypted PKCS#8 files (openssl reads them
/// with the vault passphrase); version 1 of a name is &lt;name&gt;.key.pem, exactly where <see cref="LocalKeyVault"/>
/// has always stored it, so existing homes keep working, and later versions are &lt;name&gt;+N.key.pem. State that is
/// not secret (exportable, pending/active/retired, chain) lives in &lt;stem&gt;.custody.json. Signing decrypts the key
/// inside this class only; <see cref="ExportAsync"/> refuses keys not created exportable without reading them.
/// </summary>
public sealed class LocalKeyCustody : IKeyCustody
{
    private readonly LocalKeyVault _vault;
    private readonly TimeProvider _time;

    public LocalKeyCustody(LocalKeyVaultOptions options, TimeProvider? time = null)
    {
        _vault = new LocalKeyVault(options);
        _time = time ?? TimeProvider.System;
    }

    public string Provider => LocalKeyVault.ProviderName;

    public string KeyDirectory => _vault.KeyDirectory;

    public async Task<CustodyKey> CreateKeyAsync(CustodyKeyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        KeyNames.Validate(request.Name);
        if (request.Role == CaRole.Root && request.Exportable)
        {
            throw new PkiException($"root key '{request.Name}' cannot be exportable: a root key never leaves its custody; request it with Exportable = false");
        }

        if (string.IsNullOrWhiteSpace(request.OperationId))
        {
            throw new PkiException($"key '{request.Name}': an operation id is required so a retry finds the same key (use the rotation id)");
        }

        while (true)
        {
            var versions = await VersionsAsync(request.Name, cancellationToken);
            var mine = versions.LastOrDefault(v => v.Record.OperationId == request.OperationId);
            if (mine is not null)
            {
                return await CompleteAsync(request, mine.Record, cancellationToken);
            }

            var next = NextVersion(versions);
            var record = NewRecord(request, next, request.Algorithm, CustodyKeyState.Pending);

            // The record is written first and create-once: a crash before the key exists leaves a pending record the
            // retry completes; two creators racing for the same version number get one each.
            PrivateFiles.EnsureDirectory(KeyDirectory);
            if (await PrivateFiles.TryCreateAsync(RecordPath(request.Name, next), record.ToJson(), cancellationToken))
            {
                return await CompleteAsync(request, record, cancellationToken);
            }
        }
    }

    public async Task<CustodyKey> ImportKeyAsync(CustodyKeyRequest request, PrivateKey key, IReadOnlyList<Certificate> chain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(chain);
        KeyNames.Validate(request.Name);
        if (request.Role == CaRole.Root && request.Exportable)
        {
            throw new PkiException($"root key '{request.Name}' cannot be imported exportable: a root key never leaves its custody; import it with Exportable = false");
        }

        var publicKey = PublicKey.Of(key);
        if (chain.Count == 0 || !publicKey.Matches(chain[0]))
        {
            throw new PkiException($"import of key '{request.Name}': the chain must start with the certificate of the imported key");
        }

        while (true)
        {
            var versions = await VersionsAsync(request.Name, cancellationToken);
            foreach (var held in versions)
            {
                var stem = KeyNames.Stem(request.Name, held.Record.Version);
                var heldKey = held.Record.PublicKey is { } spki
                    ? PublicKey.FromSubjectPublicKeyInfo(Convert.FromBase64String(spki))
                    : _vault.StemExists(stem) ? PublicKey.Of(await _vault.TryLoadStemAsync(stem, cancellationToken) ?? throw Missing(new KeyReference(Provider, request.Name))) : null;
                if (publicKey.Equals(heldKey))
                {
                    // Already imported (or stored before custody existed): complete a crash between record and key file.
                    await _vault.StoreStemAsync(stem, key, cancellationToken);
                    return await ToKeyAsync(request.Name, held.Record, cancellationToken);
                }
            }

            var next = NextVersion(versions);
            var record = NewRecord(request, next, key.Algorithm, CustodyKeyState.Active) with
            {
                PublicKey = Convert.ToBase64String(publicKey.SubjectPublicKeyInfo.Span),
                Chain = chain.Select(c => c.ToPem()).ToList(),
            };

            // Record first (create-once, public data only), then the key: a retry finds the record by its public key.
            PrivateFiles.EnsureDirectory(KeyDirectory);
            if (await PrivateFiles.TryCreateAsync(RecordPath(request.Name, next), record.ToJson(), cancellationToken))
            {
                await _vault.StoreStemAsync(KeyNames.Stem(request.Name, next), key, cancellationToken);
                return await ToKeyAsync(request.Name, record, cancellationToken);
            }
        }
    }

    public async Task<CustodyKey> GetKeyAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        var (record, _) = await ResolveAsync(reference, cancellationToken);
        return await ToKeyAsync(reference.Name, record, cancellationToken);
    }

    public async Task<byte[]> SignAsync(KeyReference reference, ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default)
    {
        var (record, stem) = await ResolveAsync(reference, cancellationToken);
        if (record.State == nameof(CustodyKeyState.Retired))
        {
            throw new PkiException($"key {reference} is retired: it signs nothing; sign with the CA's current key");
        }

        var key = await _vault.TryLoadStemAsync(stem, cancellationToken) ?? throw Missing(reference);
        return await new PrivateKeySigner(key).SignAsync(toBeSigned, cancellationToken);
    }

    public async Task<CustodyKey> AttachCertificateAsync(KeyReference reference, IReadOnlyList<Certificate> chain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0)
        {
            throw new PkiException($"attach to key {reference}: the chain is empty; pass the key's certificate first, then its issuers");
        }

        var (record, _) = await ResolveAsync(reference, cancellationToken);
        var key = await ToKeyAsync(reference.Name, record, cancellationToken);
        if (!key.PublicKey.Matches(chain[0]))
        {
            throw new PkiException($"certificate '{chain[0].Subject}' does not carry key {key.Reference}'s public key: attach the certificate issued for this key");
        }

        switch (record.State)
        {
            case nameof(CustodyKeyState.Active) when key.Certificate?.Equals(chain[0]) == true:
                return key;
            case nameof(CustodyKeyState.Active):
                throw new PkiException($"key {key.Reference} already has certificate '{key.Certificate?.Subject}' attached: create a new key version for a new certificate");
            case nameof(CustodyKeyState.Retired):
                throw new PkiException($"key {key.Reference} is retired: create a new key");
        }

        var active = record with { State = nameof(CustodyKeyState.Active), Chain = chain.Select(c => c.ToPem()).ToList() };
        await ReplaceRecordAsync(reference.Name, active, cancellationToken);
        return await ToKeyAsync(reference.Name, active, cancellationToken);
    }

    public async Task<PrivateKey> ExportAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        var (record, stem) = await ResolveAsync(reference, cancellationToken);
        if (!record.Exportable)
        {
            throw new PkiException($"key {reference} was created non-exportable and never leaves its custody: sign through the custody instead");
        }

        if (record.State == nameof(CustodyKeyState.Retired))
        {
            throw new PkiException($"key {reference} is retired: export the CA's current key");
        }

        return await _vault.TryLoadStemAsync(stem, cancellationToken) ?? throw Missing(reference);
    }

    public async Task RetireAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        var (record, _) = await ResolveAsync(reference, cancellationToken);
        if (record.State != nameof(CustodyKeyState.Retired))
        {
            await ReplaceRecordAsync(reference.Name, record with { State = nameof(CustodyKeyState.Retired) }, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<KeyReference>> RetireOperationAsync(string name, string operationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(operationId);
        var retired = new List<KeyReference>();
        foreach (var version in await VersionsAsync(name, cancellationToken))
        {
            var record = version.Record;
            // A record exists before its key file (create-once), so a Prepare that crashed between the two is found too;
            // retiring the record is enough: a retired version signs and exports nothing.
            if (record.OperationId == operationId && record.State != nameof(CustodyKeyState.Retired))
            {
                await ReplaceRecordAsync(name, record with { State = nameof(CustodyKeyState.Retired) }, cancellationToken);
                retired.Add(new KeyReference(Provider, name, record.Version.ToString(CultureInfo.InvariantCulture)));
            }
        }

        return retired;
    }

    private static int NextVersion(List<StoredVersion> versions) => versions.Count == 0 ? 1 : versions[^1].Record.Version + 1;

    private CustodyRecord NewRecord(CustodyKeyRequest request, int version, KeyAlgorithm algorithm, CustodyKeyState state) => new()
    {
        Version = version,
        Algorithm = algorithm.ToName(),
        Exportable = request.Exportable,
        State = state.ToString(),
        OperationId = request.OperationId,
        TrustDomain = request.TrustDomain,
        Role = request.Role.ToString(),
        Created = _time.GetUtcNow(),
    };

    private async Task<CustodyKey> CompleteAsync(CustodyKeyRequest request, CustodyRecord record, CancellationToken cancellationToken)
    {
        var stem = KeyNames.Stem(request.Name, record.Version);
        if (record.PublicKey is null)
        {
            // Resumed before the key was stored, or first pass: generate it, store it, then note its public half.
            var key = await _vault.TryLoadStemAsync(stem, cancellationToken);
            if (key is null)
            {
                key = PrivateKey.Generate(request.Algorithm);
                await _vault.StoreStemAsync(stem, key, cancellationToken);
            }

            record = record with { PublicKey = Convert.ToBase64String(PublicKey.Of(key).SubjectPublicKeyInfo.Span) };
            await ReplaceRecordAsync(request.Name, record, cancellationToken);
        }

        return await ToKeyAsync(request.Name, record, cancellationToken);
    }

    private async Task<CustodyKey> ToKeyAsync(string name, CustodyRecord record, CancellationToken cancellationToken)
    {
        var stem = KeyNames.Stem(name, record.Version);
        var publicKey = record.PublicKey is { } spki
            ? PublicKey.FromSubjectPublicKeyInfo(Convert.FromBase64String(spki))
            : PublicKey.Of(await _vault.TryLoadStemAsync(stem, cancellationToken) ?? throw Missing(new KeyReference(Provider, name)));
        var state = Enum.Parse<CustodyKeyState>(record.State);
        var chain = record.Chain.Select(Certificate.FromPem).ToList();
        return new CustodyKey(new KeyReference(Provider, name, record.Version.ToString(CultureInfo.InvariantCulture)), publicKey, record.Exportable, state, chain);
    }

    /// <summary>The record a reference points at; without a version, the newest active version (else the newest).</summary>
    private async Task<(CustodyRecord Record, string Stem)> ResolveAsync(KeyReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Provider != Provider)
        {
            throw new PkiException(
                $"key '{reference.Name}' belongs to custody '{reference.Provider}', not '{Provider}': configure rotation with the {reference.Provider} custody");
        }

        KeyNames.Validate(reference.Name);
        var versions = await VersionsAsync(reference.Name, cancellationToken);
        StoredVersion? found;
        if (reference.Version is null)
        {
            found = versions.LastOrDefault(v => v.Record.State == nameof(CustodyKeyState.Active)) ?? versions.LastOrDefault();
        }
        else
        {
            found = int.TryParse(reference.Version, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                ? versions.FirstOrDefault(v => v.Record.Version == number)
                : null;
        }

        return found is null ? throw Missing(reference) : (found.Record, KeyNames.Stem(reference.Name, found.Record.Version));
    }

    private sealed record StoredVersion(CustodyRecord Record);

    private async Task<List<StoredVersion>> VersionsAsync(string name, CancellationToken cancellationToken)
    {
        var result = new List<StoredVersion>();
        if (!Directory.Exists(KeyDirectory))
        {
            return result;
        }

        for (var version = 1; ; version++)
        {
            var stem = KeyNames.Stem(name, version);
            var recordPath = RecordPath(name, version);
            if (File.Exists(recordPath))
            {
                result.Add(new StoredVersion(CustodyRecord.FromJson(await File.ReadAllBytesAsync(recordPath, cancellationToken), recordPath)));
            }
            else if (version == 1 && _vault.StemExists(stem))
            {
                // Stored by LocalKeyVault before custody existed: the key is all there is, and it behaves as it always did.
                result.Add(new StoredVersion(new CustodyRecord
                {
                    Version = 1,
                    Algorithm = string.Empty,
                    Exportable = true,
                    State = nameof(CustodyKeyState.Active),
                }));
            }
            else
            {
                return result;
            }
        }
    }

    private string RecordPath(string name, int version) =>
        Path.Combine(KeyDirectory, KeyNames.Stem(name, version) + CustodyRecord.FileSuffix);

    private async Task ReplaceRecordAsync(string name, CustodyRecord record, CancellationToken cancellationToken)
    {
        PrivateFiles.EnsureDirectory(KeyDirectory);
        await PrivateFiles.ReplaceAsync(RecordPath(name, record.Version), record.ToJson(), cancellationToken);
    }

    private PkiException Missing(KeyReference reference) =>
        new($"key {reference} is not in {KeyDirectory}: point rotation at the home that holds it (ROTATION_HOME) or restore the key file from a backup");
}

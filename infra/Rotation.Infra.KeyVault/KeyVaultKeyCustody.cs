using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Security.KeyVault.Certificates;
using Azure.Security.KeyVault.Secrets;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Infra.KeyVault;

/// <summary>
/// Key custody in Azure Key Vault. Every key is the key of a Key Vault certificate of the same name, so it has the
/// certificate's versions, tags and enabled flag; a version's key is addressed as keys/{name}/{version}.
///
/// Root (non-exportable, RSA-HSM/EC-HSM with <see cref="KeyVaultCustodyOptions.Hsm"/>), the pattern from
/// shared/reference/azure-notes.md §3.2 (Azure/Industrial-IoT KeyVaultServiceClient.NewRootCertificateAsync,
/// alanta/keyvault-ca CreateRootCertificateAsync): (1) a temporary self-signed version with a new non-exportable key;
/// (2) a create with issuer "Unknown" and reuse_key, whose CSR carries that same key; (3) Rotation builds the real root
/// (CA extensions are Rotation's, never a policy basic_constraints, which Key Vault calls internal and unsupported) and
/// signs it with keys/sign on the temporary version's key; (4) merge; (5) disable the temporary version.
/// Intermediates: a create with issuer "Unknown" and an exportable key; the CSR's key is certified by the issuer through
/// keys/sign and merged with the chain; the key comes back only through the version's secret (PEM).
///
/// Resuming: every version is tagged with the operation id, so a re-run finds what an interrupted one made: a pending
/// create is picked up by name, a temporary version left enabled is disabled, an active version is returned as it is.
/// Retiring disables; nothing is ever deleted.
/// </summary>
public sealed class KeyVaultKeyCustody : IKeyCustody
{
    public const string ProviderName = "keyvault";

    private const string InProgress = "inProgress";

    private readonly KeyVaultCustodyOptions _options;
    private readonly CertificateClient _certificates;
    private readonly SecretClient _secrets;
    private readonly KeyVaultSignClient _signer;
    private readonly ConcurrentDictionary<string, CustodyKeyRequest> _requests = new(StringComparer.OrdinalIgnoreCase);

    public KeyVaultKeyCustody(KeyVaultCustodyOptions options, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credential);
        options.Validate();
        _options = options;
        var certificateOptions = new CertificateClientOptions(CertificateClientOptions.ServiceVersion.V7_5);
        options.ConfigureClient?.Invoke(certificateOptions);
        var secretOptions = new SecretClientOptions(SecretClientOptions.ServiceVersion.V7_5);
        options.ConfigureClient?.Invoke(secretOptions);
        _certificates = new CertificateClient(options.VaultUri!, credential, certificateOptions);
        _secrets = new SecretClient(options.VaultUri!, credential, secretOptions);
        _signer = new KeyVaultSignClient(options.VaultUri!, credential, options.ConfigureClient);
    }

    public string Provider => ProviderName;

    public async Task<CustodyKey> CreateKeyAsync(CustodyKeyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Role == CaRole.Root && request.Exportable)
        {
            throw new PkiException($"root key '{request.Name}' cannot be exportable: a root key never leaves Key Vault; request it with Exportable = false");
        }

        if ((request.Hsm || _options.Hsm) && request.Exportable)
        {
            throw new PkiException($"key '{request.Name}': HSM keys cannot be exportable; an issuing key a mesh must hold needs a software key (Hsm = false)");
        }

        if (string.IsNullOrWhiteSpace(request.OperationId))
        {
            throw new PkiException($"key '{request.Name}': an operation id is required so a retry finds the same key (use the rotation id)");
        }

        _requests[request.Name] = request;
        var versions = await VersionsAsync(request.Name, cancellationToken);
        if (versions.Select(v => Tag(v, KeyVaultTags.KeyName)).FirstOrDefault(n => n is not null && n != request.Name) is { } other)
        {
            throw NameTaken(request.Name, other);
        }

        var active = versions.LastOrDefault(v => Tag(v, KeyVaultTags.Operation) == request.OperationId && Tag(v, KeyVaultTags.Status) == KeyVaultTags.Active);
        if (active is not null)
        {
            await DisableTemporaryAsync(request.Name, request.OperationId, versions, cancellationToken);
            return await ToKeyAsync(request.Name, active.Version, cancellationToken);
        }

        var pending = await PendingAsync(request.Name, cancellationToken);
        return request.Exportable
            ? await CreateExportableAsync(request, pending, cancellationToken)
            : await CreateNonExportableAsync(request, versions, pending, cancellationToken);
    }

    /// <summary>
    /// Adoption: certificates/import with the key and chain as one PEM (policy content type PEM, so an exportable key's
    /// secret is PEM as for created keys). A root is imported non-exportable, so from here on it only signs inside the
    /// vault. The PEM exists in this process's memory for the one request and is cleared after it; it is never logged
    /// or written. Importing the same certificate again (a re-run of adopt) returns the version the first import made.
    /// HSM keys are refused: Key Vault takes an HSM key only through BYOK (a key-exchange-key wrapped transfer), which
    /// Rotation does not do.
    /// </summary>
    public async Task<CustodyKey> ImportKeyAsync(CustodyKeyRequest request, PrivateKey key, IReadOnlyList<Certificate> chain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0)
        {
            throw new PkiException($"cannot adopt key '{request.Name}' into Key Vault: the chain is empty; pass the key's certificate first, then its issuers");
        }

        if (!key.Matches(chain[0]))
        {
            throw new PkiException($"cannot adopt key '{request.Name}' into Key Vault: the key is not the private half of '{chain[0].Subject}'; pass the key that certificate was issued for");
        }

        if (request.Role == CaRole.Root && request.Exportable)
        {
            throw new PkiException($"root key '{request.Name}' cannot be imported exportable: once in Key Vault a root key never leaves it; import it with Exportable = false");
        }

        if (request.Hsm || _options.Hsm)
        {
            throw new PkiException($"cannot adopt key '{request.Name}' into an HSM key: Key Vault takes HSM keys only through BYOK, which Rotation does not do; adopt into a software key (Hsm = false) or mint a new HSM root with 'rotation init'");
        }

        if (string.IsNullOrWhiteSpace(request.OperationId))
        {
            throw new PkiException($"key '{request.Name}': an operation id is required so a retry finds the same key (use the adoption's id)");
        }

        _requests[request.Name] = request;
        var versions = await VersionsAsync(request.Name, cancellationToken);
        if (versions.Select(v => Tag(v, KeyVaultTags.KeyName)).FirstOrDefault(n => n is not null && n != request.Name) is { } other)
        {
            throw NameTaken(request.Name, other);
        }

        var thumbprint = Sha1Hex(chain[0]);
        var imported = versions.LastOrDefault(v => Tag(v, KeyVaultTags.Status) == KeyVaultTags.Active
            && string.Equals(Convert.ToHexString(v.X509Thumbprint ?? []), thumbprint, StringComparison.OrdinalIgnoreCase));
        if (imported is null)
        {
            var pem = Encoding.ASCII.GetBytes(key.ToPkcs8Pem() + string.Concat(chain.Select(c => c.ToPem())));
            try
            {
                var options = new ImportCertificateOptions(KeyVaultNames.For(request.Name), pem)
                {
                    Policy = Policy(request, "Unknown", reuseKey: false),
                    Enabled = true,
                };
                foreach (var tag in Tags(request.Name, request, request.OperationId, KeyVaultTags.Active, null))
                {
                    options.Tags[tag.Key] = tag.Value;
                }

                imported = (await _certificates.ImportCertificateAsync(options, cancellationToken)).Value.Properties;
            }
            catch (RequestFailedException ex) when (ex.Status == 400)
            {
                throw new PkiException($"Key Vault refused to import '{chain[0].Subject}' as {request.Name} ({ex.ErrorCode}: {ex.Message.Split('\n')[0]})", ex);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pem);
            }
        }

        var adopted = await ToKeyAsync(request.Name, imported.Version, cancellationToken);
        return adopted with { Chain = chain.ToList() };
    }

    public async Task<CustodyKey> GetKeyAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        CheckProvider(reference);
        if (reference.Version is not null)
        {
            return await ToKeyAsync(reference.Name, reference.Version, cancellationToken);
        }

        var versions = await VersionsAsync(reference.Name, cancellationToken);
        var current = versions.LastOrDefault(v => v.Enabled == true && Tag(v, KeyVaultTags.Status) == KeyVaultTags.Active);
        if (current is not null)
        {
            return await ToKeyAsync(reference.Name, current.Version, cancellationToken);
        }

        var pending = await PendingAsync(reference.Name, cancellationToken);
        if (pending is not null && IsUnknownIssuer(pending))
        {
            return PendingKey(reference.Name, pending, exportable: true);
        }

        throw Missing(reference);
    }

    public async Task<byte[]> SignAsync(KeyReference reference, ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default)
    {
        CheckProvider(reference);
        var key = await GetKeyAsync(reference, cancellationToken);
        if (key.State == CustodyKeyState.Retired)
        {
            throw new PkiException($"key {key.Reference} is retired (disabled in Key Vault): it signs nothing; sign with the CA's current key");
        }

        var algorithm = key.PublicKey.Algorithm;
        var digest = SignatureAlgorithms.Digest(algorithm, toBeSigned.Span);
        byte[] signature;
        try
        {
            signature = await _signer.SignAsync(KeyVaultNames.For(reference.Name), key.Reference.Version!, SignatureAlgorithms.JoseName(algorithm), digest, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 403 or 404)
        {
            throw new PkiException($"Key Vault refused keys/sign on {key.Reference} ({ex.Status} {ex.ErrorCode}): check the key is enabled and the identity has Key Vault Crypto User", ex);
        }

        // Key Vault returns ECDSA as r‖s (IEEE P1363); X.509 carries DER SEQUENCE{r, s}.
        return algorithm is KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384
            ? SignatureAlgorithms.EcdsaP1363ToDer(algorithm, signature)
            : signature;
    }

    public async Task<CustodyKey> AttachCertificateAsync(KeyReference reference, IReadOnlyList<Certificate> chain, CancellationToken cancellationToken = default)
    {
        CheckProvider(reference);
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0)
        {
            throw new PkiException($"attach to key {reference}: the chain is empty; pass the key's certificate first, then its issuers");
        }

        var name = reference.Name;
        var versions = await VersionsAsync(name, cancellationToken);
        var request = _requests.TryGetValue(name, out var known) ? known : null;
        var operation = request?.OperationId
            ?? (reference.Version is { } v ? versions.FirstOrDefault(p => p.Version == v) is { } temp ? Tag(temp, KeyVaultTags.Operation) : null : null);

        // Already merged (a retry after a lost response, or a re-run): the same certificate under this operation.
        var merged = versions.LastOrDefault(p => Tag(p, KeyVaultTags.Status) == KeyVaultTags.Active
            && string.Equals(Convert.ToHexString(p.X509Thumbprint ?? []), Sha1Hex(chain[0]), StringComparison.OrdinalIgnoreCase));
        if (merged is null)
        {
            var pending = await PendingAsync(name, cancellationToken)
                ?? throw new PkiException($"key {reference} has no pending create to attach a certificate to: create the key first (CreateKeyAsync)");
            var options = new MergeCertificateOptions(KeyVaultNames.For(name), chain.Select(c => c.Der.ToArray())) { Enabled = true };
            foreach (var tag in Tags(name, request, operation, KeyVaultTags.Active, versions.FirstOrDefault(p => p.Version == reference.Version)))
            {
                options.Tags[tag.Key] = tag.Value;
            }

            try
            {
                var result = await _certificates.MergeCertificateAsync(options, cancellationToken);
                merged = result.Value.Properties;
            }
            catch (RequestFailedException ex) when (ex.Status == 400)
            {
                throw new PkiException($"Key Vault refused to merge '{chain[0].Subject}' into {name} ({ex.ErrorCode}: {ex.Message.Split('\n')[0]}): attach the certificate issued for this key's CSR", ex);
            }

            _ = pending;
            versions = await VersionsAsync(name, cancellationToken);
        }

        if (operation is not null)
        {
            await DisableTemporaryAsync(name, operation, versions, cancellationToken);
        }

        // The vault keeps the chain in the version's secret; the caller's chain is the same bytes, so hand that back
        // rather than reading a secret that, for an exportable key, also holds the private key.
        var attached = await ToKeyAsync(name, merged.Version, cancellationToken);
        return attached.Certificate?.Equals(chain[0]) == true ? attached with { Chain = chain.ToList() } : attached;
    }

    public async Task<PrivateKey> ExportAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        CheckProvider(reference);
        var key = await GetKeyAsync(reference, cancellationToken);
        if (!key.Exportable)
        {
            throw new PkiException($"key {key.Reference} was created non-exportable and never leaves Key Vault: sign through the custody instead");
        }

        if (key.State != CustodyKeyState.Active)
        {
            throw new PkiException($"key {key.Reference} is {key.State.ToString().ToLowerInvariant()}: export the CA's current, attached key");
        }

        KeyVaultSecret secret;
        try
        {
            secret = await _secrets.GetSecretAsync(KeyVaultNames.For(reference.Name), key.Reference.Version, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 403 or 404)
        {
            throw new PkiException($"Key Vault refused the secret of {key.Reference} ({ex.Status} {ex.ErrorCode}): the identity needs Key Vault Secrets User", ex);
        }

        if (secret.Properties.ContentType != "application/x-pem-file")
        {
            throw new PkiException($"the secret of {key.Reference} is {secret.Properties.ContentType}, not PEM: Rotation creates its keys with a PEM secret; re-create the key through Rotation");
        }

        return PrivateKey.FromPem(secret.Value);
    }

    public async Task RetireAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        CheckProvider(reference);
        // An unversioned reference (a CA recorded before key versions) means the newest non-temporary version, looked
        // up whether or not it is still enabled, so a second retirement finds the version the first one disabled.
        var version = reference.Version
            ?? (await VersionsAsync(reference.Name, cancellationToken)).LastOrDefault(v => Tag(v, KeyVaultTags.Status) is KeyVaultTags.Active or KeyVaultTags.Retired)?.Version
            ?? throw Missing(reference);
        var key = await ToKeyAsync(reference.Name, version, cancellationToken);
        var properties = (await _certificates.GetCertificateVersionAsync(KeyVaultNames.For(reference.Name), key.Reference.Version, cancellationToken)).Value.Properties;
        if (properties.Enabled == false && KeyVaultTags.Get(properties.Tags, KeyVaultTags.Status) == KeyVaultTags.Retired)
        {
            // Retired before (a re-run after a crash between this call and the store's commit): nothing to do.
            return;
        }

        properties.Enabled = false;
        properties.Tags[KeyVaultTags.Status] = KeyVaultTags.Retired;
        await _certificates.UpdateCertificatePropertiesAsync(properties, cancellationToken);
    }

    public async Task<IReadOnlyList<KeyReference>> RetireOperationAsync(string name, string operationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(operationId);
        var retired = new List<KeyReference>();
        var versions = await VersionsAsync(name, cancellationToken);

        // A pending create carries no tags the vault shows back, so it is the operation's only when nothing under the
        // name belongs to another operation (Prepare's names are the rotation's own), or when it follows the operation's
        // own temporary root version (the reuse-key create CreateNonExportableAsync starts). It goes first: deleted, the
        // vault never finishes it, no merge can make an enabled version after the versions below are retired, and the
        // name takes a new create again.
        var last = versions.LastOrDefault();
        var pendingIsOurs = versions.All(v => Tag(v, KeyVaultTags.Operation) == operationId)
            || (last is not null && Tag(last, KeyVaultTags.Operation) == operationId && Tag(last, KeyVaultTags.Status) == KeyVaultTags.Temporary);
        if (pendingIsOurs && await PendingAsync(name, cancellationToken) is { } pending)
        {
            await pending.DeleteAsync(cancellationToken);
            retired.Add(new KeyReference(Provider, name));
        }

        foreach (var version in versions.Where(v => Tag(v, KeyVaultTags.Operation) == operationId))
        {
            if (version.Enabled == false && Tag(version, KeyVaultTags.Status) is KeyVaultTags.Retired or KeyVaultTags.Temporary)
            {
                // Retired before, or a temporary version the create already disabled: nothing signs with it.
                continue;
            }

            version.Enabled = false;
            version.Tags[KeyVaultTags.Status] = KeyVaultTags.Retired;
            await _certificates.UpdateCertificatePropertiesAsync(version, cancellationToken);
            retired.Add(new KeyReference(Provider, name, version.Version));
        }

        return retired;
    }

    private async Task<CustodyKey> CreateNonExportableAsync(CustodyKeyRequest request, List<CertificateProperties> versions, CertificateOperation? pending, CancellationToken cancellationToken)
    {
        var name = request.Name;
        if (pending is not null && !IsUnknownIssuer(pending))
        {
            // Step 1 was interrupted while the vault was still issuing the temporary version: let it finish.
            await pending.WaitForCompletionAsync(_options.PollInterval, cancellationToken);
            versions = await VersionsAsync(name, cancellationToken);
            pending = null;
        }

        var temporary = versions.LastOrDefault(v => v.Enabled == true
            && Tag(v, KeyVaultTags.Operation) == request.OperationId && Tag(v, KeyVaultTags.Status) == KeyVaultTags.Temporary);
        if (temporary is null)
        {
            if (pending is not null)
            {
                throw new PkiException(
                    $"Key Vault certificate '{name}' has a pending create that Rotation's operation '{request.OperationId}' did not start: finish or cancel it (az keyvault certificate pending delete --vault-name … --name {name}) and run again");
            }

            var self = Policy(request, "Self", reuseKey: false);
            var created = await _certificates.StartCreateCertificateAsync(KeyVaultNames.For(name), self, enabled: true, tags: Tags(request.Name, request, request.OperationId, KeyVaultTags.Temporary, null), cancellationToken);
            var completed = await created.WaitForCompletionAsync(_options.PollInterval, cancellationToken);
            temporary = completed.Value.Properties;
        }

        var key = await ToKeyAsync(name, temporary.Version, cancellationToken);
        if (pending is null)
        {
            // Same key (reuse_key) under issuer Unknown: the pending operation the signed root is merged into.
            var unknown = Policy(request, "Unknown", reuseKey: true);
            pending = await _certificates.StartCreateCertificateAsync(KeyVaultNames.For(name), unknown, enabled: true, tags: Tags(request.Name, request, request.OperationId, KeyVaultTags.Active, null), cancellationToken);
        }

        var csrKey = PublicKey.Of(CertificateSigningRequest.FromPem(Convert.ToBase64String(pending.Properties.Csr)));
        if (!csrKey.Equals(key.PublicKey))
        {
            throw new PkiException($"the pending create of '{name}' does not reuse the temporary version's key: cancel the pending create and run again");
        }

        return key with { State = CustodyKeyState.Pending, Chain = [] };
    }

    private async Task<CustodyKey> CreateExportableAsync(CustodyKeyRequest request, CertificateOperation? pending, CancellationToken cancellationToken)
    {
        if (pending is not null && !IsUnknownIssuer(pending))
        {
            await pending.WaitForCompletionAsync(_options.PollInterval, cancellationToken);
            pending = null;
        }

        pending ??= await _certificates.StartCreateCertificateAsync(
            KeyVaultNames.For(request.Name), Policy(request, "Unknown", reuseKey: false), enabled: true, tags: Tags(request.Name, request, request.OperationId, KeyVaultTags.Active, null), cancellationToken);
        return PendingKey(request.Name, pending, exportable: true);
    }

    private CertificatePolicy Policy(CustodyKeyRequest request, string issuer, bool reuseKey)
    {
        var hsm = request.Hsm || _options.Hsm;
        var policy = new CertificatePolicy(issuer, $"CN={request.Name}")
        {
            Exportable = request.Exportable,
            ReuseKey = reuseKey,
            ContentType = CertificateContentType.Pem,
            // One month is the shortest validity a policy can ask for; the temporary version is disabled as soon as the
            // real certificate is merged.
            ValidityInMonths = 1,
            KeyType = request.Algorithm switch
            {
                KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 => hsm ? CertificateKeyType.EcHsm : CertificateKeyType.Ec,
                _ => hsm ? CertificateKeyType.RsaHsm : CertificateKeyType.Rsa,
            },
        };
        switch (request.Algorithm)
        {
            case KeyAlgorithm.EcdsaP256:
                policy.KeyCurveName = CertificateKeyCurveName.P256;
                break;
            case KeyAlgorithm.EcdsaP384:
                policy.KeyCurveName = CertificateKeyCurveName.P384;
                break;
            case KeyAlgorithm.Rsa2048:
                policy.KeySize = 2048;
                break;
            case KeyAlgorithm.Rsa3072:
                policy.KeySize = 3072;
                break;
            case KeyAlgorithm.Rsa4096:
                policy.KeySize = 4096;
                break;
        }

        // keyCertSign/cRLSign map to the key operation "sign"; without them Key Vault would not let the key sign.
        policy.KeyUsage.Add(CertificateKeyUsage.DigitalSignature);
        policy.KeyUsage.Add(CertificateKeyUsage.KeyCertSign);
        policy.KeyUsage.Add(CertificateKeyUsage.CrlSign);
        return policy;
    }

    private static Dictionary<string, string> Tags(string keyName, CustodyKeyRequest? request, string? operation, string status, CertificateProperties? from)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal) { [KeyVaultTags.Status] = status, [KeyVaultTags.KeyName] = keyName };
        void Set(string name, string? value)
        {
            if (value is not null)
            {
                tags[name] = value;
            }
        }

        Set(KeyVaultTags.Operation, operation);
        Set(KeyVaultTags.TrustDomain, request?.TrustDomain ?? (from is null ? null : KeyVaultTags.Get(from.Tags, KeyVaultTags.TrustDomain)));
        Set(KeyVaultTags.Role, request?.Role.ToString() ?? (from is null ? null : KeyVaultTags.Get(from.Tags, KeyVaultTags.Role)));
        Set(KeyVaultTags.Exportable, request is null
            ? (from is null ? null : KeyVaultTags.Get(from.Tags, KeyVaultTags.Exportable))
            : request.Exportable ? "true" : "false");
        return tags;
    }

    private async Task DisableTemporaryAsync(string name, string operation, List<CertificateProperties> versions, CancellationToken cancellationToken)
    {
        foreach (var temporary in versions.Where(v => v.Enabled == true && Tag(v, KeyVaultTags.Operation) == operation && Tag(v, KeyVaultTags.Status) == KeyVaultTags.Temporary))
        {
            temporary.Enabled = false;
            await _certificates.UpdateCertificatePropertiesAsync(temporary, cancellationToken);
        }
    }

    private async Task<CustodyKey> ToKeyAsync(string name, string version, CancellationToken cancellationToken)
    {
        KeyVaultCertificate certificate;
        try
        {
            certificate = await _certificates.GetCertificateVersionAsync(KeyVaultNames.For(name), version, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw Missing(new KeyReference(Provider, name, version));
        }

        var properties = certificate.Properties;
        if (Tag(properties, KeyVaultTags.KeyName) is { } owner && owner != name)
        {
            throw NameTaken(name, owner);
        }

        var cert = Certificate.FromDer(certificate.Cer);
        var status = KeyVaultTags.Get(properties.Tags, KeyVaultTags.Status);
        var state = properties.Enabled == false
            ? CustodyKeyState.Retired
            : status == KeyVaultTags.Temporary ? CustodyKeyState.Pending : CustodyKeyState.Active;
        var exportable = KeyVaultTags.Get(properties.Tags, KeyVaultTags.Exportable) == "true";
        return new CustodyKey(new KeyReference(Provider, name, properties.Version), PublicKey.Of(cert), exportable, state, state == CustodyKeyState.Pending ? [] : [cert]);
    }

    private CustodyKey PendingKey(string name, CertificateOperation pending, bool exportable)
    {
        var csr = CertificateSigningRequest.FromPem(Convert.ToBase64String(pending.Properties.Csr));
        return new CustodyKey(new KeyReference(Provider, name), PublicKey.Of(csr), exportable, CustodyKeyState.Pending, []);
    }

    private async Task<List<CertificateProperties>> VersionsAsync(string name, CancellationToken cancellationToken)
    {
        var result = new List<CertificateProperties>();
        try
        {
            await foreach (var version in _certificates.GetPropertiesOfCertificateVersionsAsync(KeyVaultNames.For(name), cancellationToken))
            {
                result.Add(version);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No certificate under that name yet.
        }

        return result.OrderBy(v => v.CreatedOn).ToList();
    }

    private async Task<CertificateOperation?> PendingAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var operation = await _certificates.GetCertificateOperationAsync(KeyVaultNames.For(name), cancellationToken);
            return operation.Properties.Status == InProgress ? operation : null;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    private static bool IsUnknownIssuer(CertificateOperation operation) =>
        string.Equals(operation.Properties.IssuerName, "Unknown", StringComparison.OrdinalIgnoreCase);

    private static string? Tag(CertificateProperties properties, string name) => KeyVaultTags.Get(properties.Tags, name);

    // x5t names a certificate (SHA-1 thumbprint, as Key Vault reports it); it protects nothing.
#pragma warning disable CA5350
    private static string Sha1Hex(Certificate certificate) => Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(certificate.Der.Span));
#pragma warning restore CA5350

    private void CheckProvider(KeyReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Provider != Provider)
        {
            throw new PkiException($"key '{reference.Name}' belongs to custody '{reference.Provider}', not '{Provider}': configure rotation with the {reference.Provider} custody");
        }
    }

    private static PkiException NameTaken(string name, string owner) =>
        new($"Key Vault certificate '{KeyVaultNames.For(name)}' belongs to Rotation key '{owner}', not '{name}': two key names met on one vault name; rename one trust domain or use another vault");

    private PkiException Missing(KeyReference reference) =>
        new($"key {reference} is not in Key Vault {_options.VaultUri}: check the vault URI and the key name, or restore the certificate");
}

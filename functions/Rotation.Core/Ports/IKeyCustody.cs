using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Core.Ports;

/// <summary>
/// Holds CA keys and signs with them by reference: callers get public keys and signatures, never a private key,
/// except through <see cref="ExportAsync"/> for a key created exportable (issuing keys a mesh must hold). A root key
/// is created non-exportable and never leaves its custody. Implementations: the local vault (encrypted PKCS#8 files)
/// and Azure Key Vault. Every operation is safe to repeat after a crash: see <see cref="CreateKeyAsync"/>.
/// The contract is written once (tests/Rotation.Testing/Custody/KeyCustodyContract.cs) and run against each.
/// </summary>
public interface IKeyCustody
{
    /// <summary>The provider name written into references ("local", "keyvault").</summary>
    string Provider { get; }

    /// <summary>
    /// Creates a key under <see cref="CustodyKeyRequest.Name"/> for the operation <see cref="CustodyKeyRequest.OperationId"/>,
    /// or resumes it: when a key for the same name and operation already exists, that key is returned — still
    /// <see cref="CustodyKeyState.Pending"/> (sign its certificate and attach it), or already
    /// <see cref="CustodyKeyState.Active"/> with its certificate (nothing left to do; do not sign again). A request
    /// under an existing name for another operation makes a new version; earlier versions keep their references.
    /// A non-exportable key can sign as soon as it is created (a root signs its own certificate); an exportable key
    /// may be unusable for signing until its certificate is attached.
    /// </summary>
    Task<CustodyKey> CreateKeyAsync(CustodyKeyRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Brings a CA key made outside Rotation (`rotation adopt`) into custody, its certificate chain (leaf first)
    /// attached and active at once. <see cref="CustodyKeyRequest.Exportable"/> decides what happens to it afterwards: a
    /// root's is imported non-exportable (it signs here and never leaves again). Importing a key the name already holds
    /// returns that version (a retry imports nothing twice); another key under the name becomes a new version.
    /// Throws <see cref="PkiException"/> when the chain does not start with the key's certificate.
    /// </summary>
    Task<CustodyKey> ImportKeyAsync(CustodyKeyRequest request, PrivateKey key, IReadOnlyList<Certificate> chain, CancellationToken cancellationToken = default);

    /// <summary>The key a reference points at (the current version when the reference has none). Throws <see cref="PkiException"/> when there is none.</summary>
    Task<CustodyKey> GetKeyAsync(KeyReference reference, CancellationToken cancellationToken = default);

    /// <summary>
    /// Signs <paramref name="toBeSigned"/> (to-be-signed certificate or CSR bytes; the custody hashes them) with the
    /// key's algorithm as <see cref="ICertificateSigner.SignAsync"/> describes. Throws <see cref="PkiException"/> for a retired key.
    /// </summary>
    Task<byte[]> SignAsync(KeyReference reference, ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default);

    /// <summary>
    /// Binds the key's certificate (and the chain above it, leaf first) to a pending key and makes it active. Returns the
    /// active key's reference, which is versioned and may differ from the pending one (Key Vault merges into a new version
    /// and disables the temporary one). Repeating it after success returns the same reference.
    /// </summary>
    Task<CustodyKey> AttachCertificateAsync(KeyReference reference, IReadOnlyList<Certificate> chain, CancellationToken cancellationToken = default);

    /// <summary>The private key of a key created exportable. Throws <see cref="PkiException"/> for any other key, without reading it.</summary>
    Task<PrivateKey> ExportAsync(KeyReference reference, CancellationToken cancellationToken = default);

    /// <summary>Disables the key version: it signs and exports nothing afterwards. Never deletes. Repeating it is a no-op.</summary>
    Task RetireAsync(KeyReference reference, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retires what the operation <paramref name="operationId"/> made under <paramref name="name"/> when no record will
    /// ever point at it (a rotation aborted after its Prepare minted keys but before Prepare committed): every version
    /// created for that operation is retired, pending or active, and a create it left pending is cancelled so the vault
    /// never finishes it. Versions made for other operations are untouched; nothing is deleted. Repeatable. Returns the
    /// versions it retired (a cancelled pending create, which has no version yet, is returned unversioned).
    /// </summary>
    Task<IReadOnlyList<KeyReference>> RetireOperationAsync(string name, string operationId, CancellationToken cancellationToken = default);
}

/// <summary>What to create. <paramref name="OperationId"/> (normally the rotation id, or "init") makes a retry find the same key.</summary>
public sealed record CustodyKeyRequest(
    string Name,
    KeyAlgorithm Algorithm,
    bool Exportable,
    string OperationId,
    string TrustDomain,
    CaRole Role,
    bool Hsm = false);

public enum CustodyKeyState
{
    /// <summary>Created; its certificate is not attached yet.</summary>
    Pending,

    /// <summary>Its certificate is attached; it signs.</summary>
    Active,

    /// <summary>Disabled: signs and exports nothing.</summary>
    Retired,
}

/// <summary>A key in custody: its reference (always versioned), public half, and, once attached, its certificate chain (leaf first).</summary>
public sealed record CustodyKey(
    KeyReference Reference,
    PublicKey PublicKey,
    bool Exportable,
    CustodyKeyState State,
    IReadOnlyList<Certificate> Chain)
{
    public Certificate? Certificate => Chain.Count > 0 ? Chain[0] : null;
}

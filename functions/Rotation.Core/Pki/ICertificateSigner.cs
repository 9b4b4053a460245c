namespace Rotation.Core.Pki;

/// <summary>
/// Signs to-be-signed certificate and CSR bytes with a key it may never reveal (a Key Vault key, a local vault key).
/// Certificate creation takes one of these instead of a <see cref="PrivateKey"/>, so a root key can stay in custody.
/// </summary>
public interface ICertificateSigner
{
    /// <summary>The signing key's public half: checked against the issuer certificate before anything is signed.</summary>
    PublicKey PublicKey { get; }

    /// <summary>
    /// Signs <paramref name="toBeSigned"/> with the algorithm <see cref="SignatureAlgorithms.For"/> picks for the key
    /// (SHA-256/384 with ECDSA, SHA-256 with RSA PKCS#1 v1.5) and returns the signature as X.509 carries it
    /// (DER SEQUENCE{r,s} for ECDSA).
    /// </summary>
    Task<byte[]> SignAsync(ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default);
}

/// <summary>Signs with a private key held in this process: tests, leaf keys, and the local vault.</summary>
public sealed class PrivateKeySigner(PrivateKey key) : ICertificateSigner
{
    public PublicKey PublicKey { get; } = PublicKey.Of(key);

    public Task<byte[]> SignAsync(ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default) =>
        Task.FromResult(SignatureAlgorithms.Sign(key, toBeSigned.Span));
}

using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;

namespace Rotation.Core.Pki;

/// <summary>
/// The BouncyCastle <see cref="ISignatureFactory"/> over an <see cref="ICertificateSigner"/>. BouncyCastle signs
/// synchronously inside Generate(); a custody signs asynchronously (over HTTP for Key Vault). So the factory works in
/// two passes: BouncyCastle streams the to-be-signed bytes into <see cref="CreateCalculator"/>, the factory keeps them
/// and hands back an empty placeholder, then <see cref="SignCapturedAsync"/> asks the signer for the real signature,
/// which the caller puts into the final structure. The placeholder never leaves the builder.
/// </summary>
public sealed class CustodySignatureFactory : ISignatureFactory
{
    private readonly ICertificateSigner _signer;
    private readonly AlgorithmIdentifier _algorithm;
    private byte[]? _captured;

    public CustodySignatureFactory(ICertificateSigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        _signer = signer;
        _algorithm = SignatureAlgorithms.Identifier(signer.PublicKey.Algorithm);
    }

    public object AlgorithmDetails => _algorithm;

    internal AlgorithmIdentifier Algorithm => _algorithm;

    public IStreamCalculator<IBlockResult> CreateCalculator()
    {
        return new Capture(bytes => _captured = bytes);
    }

    /// <summary>Signs the bytes BouncyCastle streamed in the last pass.</summary>
    public Task<byte[]> SignCapturedAsync(CancellationToken cancellationToken = default)
    {
        var captured = _captured ?? throw new InvalidOperationException("nothing to sign yet: generate the structure with this factory first");
        return _signer.SignAsync(captured, cancellationToken);
    }

    private sealed class Capture(Action<byte[]> captured) : IStreamCalculator<IBlockResult>, IDisposable
    {
        private readonly MemoryStream _stream = new();

        public Stream Stream => _stream;

        // BouncyCastle asks for the result once it has streamed the whole to-be-signed structure.
        public IBlockResult GetResult()
        {
            captured(_stream.ToArray());
            return new SimpleBlockResult([]);
        }

        public void Dispose() => _stream.Dispose();
    }
}

using Rotation.Core.Pki;

namespace Rotation.Core.Authorities;

/// <summary>Verifies a chain file (leaf first, then any intermediates) against a trust bundle file.</summary>
public static class VerifyService
{
    public static async Task<ChainVerificationResult> VerifyFilesAsync(
        string chainFile,
        string bundleFile,
        DateTimeOffset at,
        TlsPurpose purpose,
        CancellationToken cancellationToken = default)
    {
        var chainPem = await ReadAsync(chainFile, "chain", cancellationToken);
        var bundlePem = await ReadAsync(bundleFile, "bundle", cancellationToken);
        var chain = Pem.ReadCertificates(chainPem, chainFile);
        var bundle = TrustBundle.FromPem(bundlePem, bundleFile);
        return ChainVerifier.Verify(chain[0], chain.Skip(1), bundle, at, purpose);
    }

    private static async Task<string> ReadAsync(string path, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PkiException($"cannot read {what} file '{path}': {FirstLine(ex.Message)}");
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd('\r');
}

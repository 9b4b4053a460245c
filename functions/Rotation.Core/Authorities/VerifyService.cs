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
        ChainVerifyFlags flags = ChainVerifyFlags.None,
        CancellationToken cancellationToken = default)
    {
        var chainPem = await ReadAsync(chainFile, "chain", cancellationToken);
        var bundlePem = await ReadAsync(bundleFile, "bundle", cancellationToken);
        var chain = PemFile.ReadCertificates(chainPem, chainFile);
        var bundle = TrustBundle.Of(PemFile.ReadCertificates(bundlePem, bundleFile));
        CheckOrder(chain, chainFile);
        return ChainVerifier.Verify(chain[0], chain.Skip(1), bundle, at, purpose, flags);
    }

    /// <summary>
    /// A chain file runs leaf first, each certificate followed by its issuer (RFC 8446 4.4.2, nginx ssl_certificate).
    /// An issuer placed before a certificate it issued means the file is reversed: verifying it as-is would check the CA
    /// as if it were the leaf and say nothing about the leaf.
    /// </summary>
    private static void CheckOrder(IReadOnlyList<Certificate> chain, string chainFile)
    {
        for (var later = 1; later < chain.Count; later++)
        {
            for (var earlier = 0; earlier < later; earlier++)
            {
                var issuer = chain[earlier];
                var issued = chain[later];
                if (!issued.IsSelfSigned && issued.Issuer == issuer.Subject && issued.IsSignedBy(issuer))
                {
                    throw new PkiException(
                        $"{chainFile}: certificate {later + 1} '{issued.Subject}' is issued by certificate {earlier + 1} '{issuer.Subject}', which comes before it: "
                        + "the chain is in reverse order; put the leaf first, then its issuer, then that issuer's issuer");
                }
            }
        }
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

namespace Rotation.Core.Pki;

/// <summary>Builds and verifies a path from a leaf, through untrusted intermediates, to an anchor of a bundle.</summary>
/// <remarks>
/// The rules follow `openssl verify -CAfile bundle -untrusted chain`, which is what meshes built on OpenSSL/BoringSSL
/// enforce: valid from notBefore up to (not including) notAfter; a path ends at a self-signed root of the bundle (its own
/// signature is not checked again) whose validity still counts — a leaf or intermediate in the bundle is an anchor only
/// with <see cref="ChainVerifyFlags.PartialChain"/> (openssl -partial_chain);
/// a certificate without an extendedKeyUsage extension is fit for any purpose; a missing keyUsage does not restrict.
/// </remarks>
public static partial class ChainVerifier
{
    private const int MaxDepth = 16;

    public static ChainVerificationResult Verify(
        Certificate leaf,
        IEnumerable<Certificate> untrustedIntermediates,
        TrustBundle bundle,
        DateTimeOffset at,
        TlsPurpose purpose = TlsPurpose.Any,
        ChainVerifyFlags flags = ChainVerifyFlags.None)
    {
        var untrusted = untrustedIntermediates.DistinctBy(c => c.Sha256).ToList();
        var path = PathBuilder.Build(leaf, untrusted, bundle, at, MaxDepth, flags.HasFlag(ChainVerifyFlags.PartialChain));
        if (path.Failure is { } failure)
        {
            return new ChainVerificationResult(failure.Status, failure.Reason, path.Chain);
        }

        var chain = path.Chain;
        return CheckValidity(chain, at)
            ?? CheckIssuers(chain)
            ?? CheckPurpose(chain, purpose)
            ?? (flags.HasFlag(ChainVerifyFlags.X509Strict) ? CheckStrict(chain) : null)
            ?? new ChainVerificationResult(ChainStatus.Valid, $"'{leaf.Subject}' chains to trust anchor '{chain[^1].Subject}'", chain);
    }

    private static ChainVerificationResult? CheckValidity(IReadOnlyList<Certificate> chain, DateTimeOffset at)
    {
        // Like openssl (X509_cmp_time): valid on [notBefore, notAfter); at notAfter the certificate has expired.
        for (var i = 0; i < chain.Count; i++)
        {
            var certificate = chain[i];
            if (at < certificate.NotBefore)
            {
                return Fail(ChainStatus.NotYetValid, $"{Role(chain, i)} '{certificate.Subject}' is not valid until {certificate.NotBefore:u} (checked at {at.ToUniversalTime():u})", chain);
            }

            if (at >= certificate.NotAfter)
            {
                return Fail(ChainStatus.Expired, $"{Role(chain, i)} '{certificate.Subject}' expired at {certificate.NotAfter:u} (checked at {at.ToUniversalTime():u})", chain);
            }
        }

        return null;
    }

    private static ChainVerificationResult? CheckIssuers(IReadOnlyList<Certificate> chain)
    {
        // Non-self-issued intermediates between a CA and the leaf; a CA's pathLen caps that number.
        var intermediatesBelow = 0;
        for (var i = 1; i < chain.Count; i++)
        {
            var ca = chain[i];
            if (!ca.IsCa)
            {
                return Fail(ChainStatus.IssuerNotCa, $"{Role(chain, i)} '{ca.Subject}' issued '{chain[i - 1].Subject}' but is not a CA (basicConstraints CA:TRUE missing)", chain);
            }

            if (!ca.HasKeyCertSign)
            {
                return Fail(ChainStatus.KeyUsageMissing, $"{Role(chain, i)} '{ca.Subject}' issued '{chain[i - 1].Subject}' but its keyUsage lacks keyCertSign", chain);
            }

            if (ca.PathLength is { } limit && intermediatesBelow > limit)
            {
                return Fail(ChainStatus.PathLengthExceeded, $"{Role(chain, i)} '{ca.Subject}' allows {limit} intermediate(s) below it (pathLen) but the chain has {intermediatesBelow}", chain);
            }

            if (!IsSelfIssued(ca))
            {
                intermediatesBelow++;
            }
        }

        return null;
    }

    private static ChainVerificationResult? CheckPurpose(IReadOnlyList<Certificate> chain, TlsPurpose purpose)
    {
        if (purpose == TlsPurpose.Any)
        {
            return null;
        }

        var name = purpose == TlsPurpose.Server ? "serverAuth" : "clientAuth";
        // openssl checks the EKU of every certificate in the chain: a CA restricted to other purposes cannot vouch for this one.
        for (var i = 0; i < chain.Count; i++)
        {
            var certificate = chain[i];
            var allowed = purpose == TlsPurpose.Server ? certificate.HasServerAuth : certificate.HasClientAuth;
            if (certificate.HasExtendedKeyUsage && !allowed)
            {
                return Fail(ChainStatus.ExtendedKeyUsageMissing, $"{Role(chain, i)} '{certificate.Subject}' has an extendedKeyUsage without {name}", chain);
            }
        }

        var leaf = chain[0];
        if (leaf.HasKeyUsageExtension && !leaf.Extensions.AllowsTls(purpose))
        {
            return Fail(ChainStatus.KeyUsageMissing, $"leaf '{leaf.Subject}' keyUsage allows neither digitalSignature nor key agreement/encipherment for {name}", chain);
        }

        return null;
    }

    private static ChainVerificationResult? CheckStrict(IReadOnlyList<Certificate> chain)
    {
        var deviations = StrictChecks.OfChain(chain);
        if (deviations.Count == 0)
        {
            return null;
        }

        var first = deviations[0];
        return Fail(ChainStatus.StrictViolation, $"{Role(chain, first.Index)} '{chain[first.Index].Subject}': {first.Deviation.Text} (openssl -x509_strict error {first.Deviation.OpensslError})"
            + (deviations.Count > 1 ? $"; and {deviations.Count - 1} more" : string.Empty), chain);
    }

    private static bool IsSelfIssued(Certificate certificate) =>
        certificate.Bc.SubjectDN.Equivalent(certificate.Bc.IssuerDN, true);

    internal static string Role(IReadOnlyList<Certificate> chain, int index) =>
        index == 0 ? "leaf" : index == chain.Count - 1 ? "trust anchor" : $"intermediate {index}";

    private static ChainVerificationResult Fail(ChainStatus status, string reason, IReadOnlyList<Certificate> chain) =>
        new(status, reason, chain);
}

namespace Rotation.Core.Pki;

/// <summary>
/// Finds a path leaf → … → anchor by depth-first search. Candidates for an issuer match by name and, when both sides
/// carry them, AKI/SKI (like openssl's X509_check_issued); the signature then decides. Anchors in the bundle come first,
/// then untrusted certificates valid at the checked instant: during a rotation the same intermediate may exist
/// cross-signed by the old and the new root, and only one of those paths ends in the bundle.
/// </summary>
internal static class PathBuilder
{
    public sealed record Failure(ChainStatus Status, string Reason);

    public sealed record Result(IReadOnlyList<Certificate> Chain, Failure? Failure);

    public static Result Build(Certificate leaf, IReadOnlyList<Certificate> untrusted, TrustBundle bundle, DateTimeOffset at, int maxDepth, bool partialChain = false)
    {
        var chain = new List<Certificate> { leaf };
        var failure = Extend(chain, untrusted, bundle, at, maxDepth, partialChain);
        return failure is null ? new Result(chain.ToList(), null) : new Result(failure.Value.Chain, failure.Value.Failure);
    }

    private static (IReadOnlyList<Certificate> Chain, Failure Failure)? Extend(List<Certificate> chain, IReadOnlyList<Certificate> untrusted, TrustBundle bundle, DateTimeOffset at, int maxDepth, bool partialChain)
    {
        var current = chain[^1];
        // Like openssl without -partial_chain (x509_vfy.c check_trust): only a self-signed certificate of the bundle
        // ends a path. A leaf or an intermediate in the bundle is just another issuer candidate; the path must still
        // reach a self-signed root of the bundle.
        if (bundle.Contains(current) && (partialChain || current.IsSelfSigned))
        {
            return null;
        }

        if (chain.Count > maxDepth)
        {
            return (chain.ToList(), new Failure(ChainStatus.UnknownAuthority, $"no trust anchor within {maxDepth} certificates of '{chain[0].Subject}': the chain is too long"));
        }

        var candidates = bundle.Where(anchor => LikelyIssued(current, anchor))
            .Concat(untrusted
                .Where(c => LikelyIssued(current, c) && !chain.Contains(c))
                .OrderBy(c => at >= c.NotBefore && at < c.NotAfter ? 0 : 1))
            .ToList();
        if (candidates.Count == 0)
        {
            var reason = bundle.Contains(current)
                ? $"{Describe(chain)} '{current.Subject}' is in the trust bundle but is not a self-signed root, and its issuer '{current.Issuer}' is not there: "
                  + "add the root to the bundle (or pass --partial-chain to trust a non-root anchor as openssl -partial_chain does)"
                : current.IsSelfSigned
                ? $"{Describe(chain)} '{current.Subject}' is self-signed and not in the trust bundle"
                : $"no issuer '{current.Issuer}' of {Describe(chain)} '{current.Subject}' in the trust bundle or the supplied intermediates";
            return (chain.ToList(), new Failure(ChainStatus.UnknownAuthority, reason));
        }

        (IReadOnlyList<Certificate> Chain, Failure Failure)? first = null;
        foreach (var issuer in candidates.Where(current.IsSignedBy))
        {
            chain.Add(issuer);
            var failure = Extend(chain, untrusted, bundle, at, maxDepth, partialChain);
            if (failure is null)
            {
                return null;
            }

            first ??= failure;
            chain.RemoveAt(chain.Count - 1);
        }

        return first ?? (chain.ToList(), new Failure(
            ChainStatus.SignatureInvalid,
            $"the signature of {Describe(chain)} '{current.Subject}' does not verify with the key of issuer '{candidates[0].Subject}'"));
    }

    private static string Describe(List<Certificate> chain) => chain.Count == 1 ? "leaf" : $"intermediate {chain.Count - 1}";

    private static bool LikelyIssued(Certificate subject, Certificate issuer) =>
        subject.Bc.IssuerDN.Equivalent(issuer.Bc.SubjectDN, true)
        && (subject.AuthorityKeyId is null || issuer.SubjectKeyId is null || subject.AuthorityKeyId == issuer.SubjectKeyId);
}

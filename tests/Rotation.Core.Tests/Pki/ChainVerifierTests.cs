using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Core.Tests.Pki;

public sealed class ChainVerifierTests
{
    public static TheoryData<string> Cases => new(ChainCases.Names);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Verify_gives_the_expected_status(string name)
    {
        var c = ChainCases.Get(name);

        var result = ChainVerifier.Verify(c.Leaf, c.Untrusted, c.Bundle, c.At, c.Purpose, c.Flags);

        Assert.True(c.Expected == result.Status, $"{name}: expected {c.Expected}, got {result.Status}: {result.Reason}");
        Assert.DoesNotContain('\n', result.Reason);
        Assert.False(string.IsNullOrWhiteSpace(result.Reason));
        Assert.Equal(c.Leaf, result.Chain[0]);
        if (result.IsValid)
        {
            Assert.True(c.Bundle.Contains(result.TrustAnchor!));
        }
        else
        {
            Assert.Null(result.TrustAnchor);
        }
    }

    [Fact]
    public void Every_status_is_reachable()
    {
        var reached = ChainCases.Names.Select(ChainCases.Get).Select(c => c.Expected).ToHashSet();

        Assert.Equal(Enum.GetValues<ChainStatus>().ToHashSet(), reached);
    }

    [Fact]
    public void Valid_chain_runs_leaf_intermediate_anchor()
    {
        var pki = TestPki.Hierarchy(ChainCases.Now);
        var leaf = pki.Leaf().Certificate;

        var result = ChainVerifier.Verify(leaf, [pki.Root.Certificate, pki.Intermediate.Certificate], pki.Bundle, ChainCases.Now);

        Assert.Equal([leaf, pki.Intermediate.Certificate, pki.Root.Certificate], result.Chain);
        Assert.Equal(pki.Root.Certificate, result.TrustAnchor);
    }

    [Fact]
    public void Intermediate_in_the_bundle_is_an_anchor_only_with_partial_chain()
    {
        var pki = TestPki.Hierarchy(ChainCases.Now);
        var leaf = pki.Leaf().Certificate;

        var strict = ChainVerifier.Verify(leaf, [], TrustBundle.Of(pki.Intermediate.Certificate), ChainCases.Now);
        var partial = ChainVerifier.Verify(leaf, [], TrustBundle.Of(pki.Intermediate.Certificate), ChainCases.Now, flags: ChainVerifyFlags.PartialChain);

        Assert.Equal(ChainStatus.UnknownAuthority, strict.Status);
        Assert.Contains("is in the trust bundle but is not a self-signed root", strict.Reason, StringComparison.Ordinal);
        Assert.Contains("--partial-chain", strict.Reason, StringComparison.Ordinal);
        Assert.True(partial.IsValid, partial.Reason);
        Assert.Equal(pki.Intermediate.Certificate, partial.TrustAnchor);
    }

    [Fact]
    public void A_strict_failure_names_the_certificate_and_the_openssl_error()
    {
        var c = ChainCases.Get("strict: root basicConstraints not critical");

        var result = ChainVerifier.Verify(c.Leaf, c.Untrusted, c.Bundle, c.At, c.Purpose, c.Flags);

        Assert.Equal(ChainStatus.StrictViolation, result.Status);
        Assert.Contains("trust anchor 'CN=Loose Root': basicConstraints of a CA is not marked critical", result.Reason, StringComparison.Ordinal);
        Assert.Contains("openssl -x509_strict error 89", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Reasons_name_the_offending_certificate()
    {
        var expired = ChainCases.Get("expired intermediate");
        var notCa = ChainCases.Get("issuer without CA:TRUE");

        var expiredResult = ChainVerifier.Verify(expired.Leaf, expired.Untrusted, expired.Bundle, expired.At);
        var notCaResult = ChainVerifier.Verify(notCa.Leaf, notCa.Untrusted, notCa.Bundle, notCa.At);

        Assert.Contains("intermediate 1 'CN=Short Intermediate' expired", expiredResult.Reason, StringComparison.Ordinal);
        Assert.Contains("'CN=Not A CA'", notCaResult.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Bundle_with_old_and_new_root_validates_leaves_of_both()
    {
        var old = TestPki.Hierarchy(ChainCases.Now, name: "Old");
        var @new = TestPki.Hierarchy(ChainCases.Now, name: "New");
        var both = old.Bundle.With(@new.Root.Certificate);
        Certificate[] intermediates = [old.Intermediate.Certificate, @new.Intermediate.Certificate];

        Assert.True(ChainVerifier.Verify(old.Leaf().Certificate, intermediates, both, ChainCases.Now).IsValid);
        Assert.True(ChainVerifier.Verify(@new.Leaf().Certificate, intermediates, both, ChainCases.Now).IsValid);
        Assert.Equal(ChainStatus.UnknownAuthority, ChainVerifier.Verify(@new.Leaf().Certificate, intermediates, old.Bundle, ChainCases.Now).Status);
    }
}

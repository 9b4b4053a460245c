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

        var result = ChainVerifier.Verify(c.Leaf, c.Untrusted, c.Bundle, c.At, c.Purpose);

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
    public void Intermediate_in_the_bundle_is_an_anchor_as_is()
    {
        var pki = TestPki.Hierarchy(ChainCases.Now);
        var leaf = pki.Leaf().Certificate;

        var result = ChainVerifier.Verify(leaf, [], TrustBundle.Of(pki.Intermediate.Certificate), ChainCases.Now);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(pki.Intermediate.Certificate, result.TrustAnchor);
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

using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Core.Tests.Pki;

public sealed class TrustBundleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Of_dedupes_by_fingerprint_and_orders_by_not_before_then_fingerprint()
    {
        var older = TestPki.Root(Now.AddDays(-100), "CN=Old").Certificate;
        var newer = TestPki.Root(Now, "CN=New").Certificate;
        var sameInstantA = TestPki.Root(Now.AddDays(-10), "CN=Twin A").Certificate;
        var sameInstantB = TestPki.Root(Now.AddDays(-10), "CN=Twin B").Certificate;
        var copyOfNewer = Certificate.FromDer(newer.Der.Span);

        var bundle = TrustBundle.Of(newer, sameInstantB, older, copyOfNewer, sameInstantA, older);

        var twins = new[] { sameInstantA, sameInstantB }.OrderBy(c => c.Sha256, StringComparer.Ordinal).ToList();
        Assert.Equal([older.Sha256, twins[0].Sha256, twins[1].Sha256, newer.Sha256], bundle.Fingerprints);
        Assert.Equal(4, bundle.Count);
    }

    [Fact]
    public void Same_set_renders_to_the_same_bytes_whatever_the_input_order()
    {
        var a = TestPki.Root(Now.AddDays(-3), "CN=A").Certificate;
        var b = TestPki.Root(Now, "CN=B").Certificate;

        var one = TrustBundle.Of(a, b);
        var two = TrustBundle.Of(b, a, b);

        Assert.Equal(one.ToPem(), two.ToPem());
        Assert.True(one.SetEquals(two));
        Assert.True(TrustBundle.FromPem(one.ToPem()).SetEquals(one));
    }

    [Fact]
    public void With_and_Without_change_membership()
    {
        var a = TestPki.Root(Now, "CN=A").Certificate;
        var b = TestPki.Root(Now, "CN=B").Certificate;

        var bundle = TrustBundle.Of(a).With(b).With(b);

        Assert.Equal(2, bundle.Count);
        Assert.True(bundle.Contains(b));
        Assert.False(bundle.Without(b.Sha256).Contains(b));
        Assert.True(TrustBundle.Empty.Count == 0);
    }
}

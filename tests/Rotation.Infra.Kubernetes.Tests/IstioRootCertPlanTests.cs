using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Targets.Istio;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>istiod reloads root-cert.pem only when its bytes change and one text contains the other (see IstioRootCertPlan).</summary>
public sealed class IstioRootCertPlanTests
{
    private readonly Material _pki = new();

    private static bool Related(string before, string after) =>
        before != after && (after.Contains(before, StringComparison.Ordinal) || before.Contains(after, StringComparison.Ordinal));

    [Fact]
    public void Every_step_of_a_root_rotation_and_its_abort_is_a_byte_change_istiod_accepts()
    {
        var a = _pki.A.Root.Certificate;
        var b = _pki.B.Root.Certificate;
        var steps = new (TrustBundle Bundle, bool IssuerChanges, Certificate IssuerRoot)[]
        {
            (_pki.Both, false, a),   // distribute trust: A -> A+B
            (_pki.Both, true, b),    // switch issuer: A+B -> A+B+B
            (_pki.Both, true, a),    // abort, revert issuer: A+B+B -> A+B
            (_pki.OnlyA, false, a),  // withdraw new trust: A+B -> A
        };
        var text = a.ToPem();
        foreach (var (bundle, issuerChanges, issuerRoot) in steps)
        {
            var plan = IstioRootCertPlan.For(text, bundle, issuerChanges, issuerRoot, multiRoot: true);
            Assert.True(plan.IstiodReloads);
            Assert.True(Related(text, plan.Text), $"{text} -> {plan.Text}");
            Assert.True(TrustBundle.FromPem(plan.Text).SetEquals(bundle));
            text = plan.Text;
        }
    }

    [Fact]
    public void Repeated_intermediate_rotations_alternate_between_a_duplicate_and_none_instead_of_growing()
    {
        var a = _pki.A.Root.Certificate;
        var once = IstioRootCertPlan.For(a.ToPem(), _pki.OnlyA, issuerChanges: true, a, multiRoot: true);
        var twice = IstioRootCertPlan.For(once.Text, _pki.OnlyA, issuerChanges: true, a, multiRoot: true);

        Assert.Equal(2, Pem.ReadCertificates(once.Text).Count);
        Assert.Equal(a.ToPem(), twice.Text);
        Assert.True(once.IstiodReloads && twice.IstiodReloads);
    }

    [Fact]
    public void Text_written_by_another_tool_is_kept_byte_for_byte_when_a_root_is_added()
    {
        var foreign = "# written by hand\r\n" + _pki.A.Root.Certificate.ToPem().Replace("\n", "\r\n", StringComparison.Ordinal);

        var plan = IstioRootCertPlan.For(foreign, _pki.Both, issuerChanges: false, _pki.A.Root.Certificate, multiRoot: true);

        Assert.StartsWith(foreign, plan.Text, StringComparison.Ordinal);
        Assert.True(plan.IstiodReloads);
    }

    [Fact]
    public void Removing_a_root_from_the_middle_cannot_satisfy_istiod_so_the_plan_asks_for_a_restart()
    {
        var c = TestPki.Hierarchy(Material.Now + TimeSpan.FromHours(2), name: "C").Root.Certificate;
        var three = TrustBundle.Of(_pki.A.Root.Certificate, _pki.B.Root.Certificate, c);
        var withoutMiddle = TrustBundle.Of(_pki.A.Root.Certificate, c);

        var plan = IstioRootCertPlan.For(three.ToPem(), withoutMiddle, issuerChanges: false, c, multiRoot: true);

        Assert.False(plan.IstiodReloads);
        Assert.True(TrustBundle.FromPem(plan.Text).SetEquals(withoutMiddle));
    }

    [Fact]
    public void Without_multi_root_an_issuer_switch_leaves_the_roots_alone_and_asks_for_a_restart()
    {
        var text = _pki.A.Root.Certificate.ToPem();

        var plan = IstioRootCertPlan.For(text, _pki.OnlyA, issuerChanges: true, _pki.A.Root.Certificate, multiRoot: false);

        Assert.Equal(text, plan.Text);
        Assert.False(plan.IstiodReloads);
    }
}

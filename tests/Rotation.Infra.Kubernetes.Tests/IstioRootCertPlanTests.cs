using Rotation.Core.Authorities.Istio;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>root-cert.pem bytes per istiod release (see IstiodReloadRule for the upstream tags each rule was read at).</summary>
public sealed class IstioRootCertPlanTests
{
    private static readonly IstiodReloadRule V119 = new(new IstiodVersion(1, 19, 3, ""), true);
    private static readonly IstiodReloadRule V122 = new(new IstiodVersion(1, 22, 0, ""), true);
    private static readonly IstiodReloadRule V126 = new(new IstiodVersion(1, 26, 2, ""), true);
    private static readonly IstiodReloadRule V127Beta = new(new IstiodVersion(1, 27, 0, "beta.0"), true);
    private static readonly IstiodReloadRule V130 = new(new IstiodVersion(1, 30, 0, ""), true);
    private readonly Material _pki = new();

    public static TheoryData<string> GaVersions => new() { "1.19.0", "1.22.0", "1.26.2", "1.27.0", "1.29.1", "1.30.0" };

    [Theory]
    [InlineData("1.22.0")]
    [InlineData("1.26.2")]
    [InlineData("1.30.0")]
    public void Every_step_of_a_root_rotation_and_its_abort_is_a_change_that_istiod_loads_in_place(string version)
    {
        var rule = new IstiodReloadRule(IstiodVersion.Parse(version)!, MultiRoot: true);
        var a = _pki.A.Root.Certificate;
        var b = _pki.B.Root.Certificate;
        var steps = new (TrustBundle Bundle, bool IssuerChanges, Certificate IssuerRoot)[]
        {
            (_pki.Both, false, a),   // distribute trust: A -> A+B
            (_pki.Both, true, b),    // switch issuer: A+B stays A+B
            (_pki.Both, true, a),    // abort, revert issuer: A+B stays A+B
            (_pki.OnlyA, false, a),  // withdraw new trust: A+B -> A
        };
        var text = a.ToPem();
        foreach (var (bundle, issuerChanges, issuerRoot) in steps)
        {
            var plan = IstioRootCertPlan.For(text, bundle, issuerChanges, issuerRoot, rule);
            Assert.True(plan.IstiodReloads, plan.Reason);
            Assert.Null(rule.Refusal(text, plan.Text));
            Assert.True(TrustBundle.FromPem(plan.Text).SetEquals(bundle));
            text = plan.Text;
        }
    }

    [Theory]
    [MemberData(nameof(GaVersions))]
    public void In_every_GA_release_an_issuer_switch_keeps_root_cert_pem_byte_for_byte_and_istiod_reloads_in_place(string version)
    {
        var rule = new IstiodReloadRule(IstiodVersion.Parse(version)!, MultiRoot: false);
        var text = _pki.Both.ToPem();

        var plan = IstioRootCertPlan.For(text, _pki.Both, issuerChanges: true, _pki.B.Root.Certificate, rule);

        Assert.Equal(text, plan.Text);
        Assert.True(plan.IstiodReloads, plan.Reason);
    }

    [Fact]
    public void Only_1_27_0_beta_0_and_rc_0_skip_equal_bytes_so_there_the_plan_writes_the_issuer_root_again_and_back()
    {
        Assert.True(V127Beta.SkipsEqualBytes);
        Assert.True(new IstiodReloadRule(IstiodVersion.Parse("1.27.0-rc.0")!, true).SkipsEqualBytes);
        Assert.False(new IstiodReloadRule(IstiodVersion.Parse("1.27.0")!, true).SkipsEqualBytes);
        var a = _pki.A.Root.Certificate;

        var once = IstioRootCertPlan.For(a.ToPem(), _pki.OnlyA, issuerChanges: true, a, V127Beta);
        var twice = IstioRootCertPlan.For(once.Text, _pki.OnlyA, issuerChanges: true, a, V127Beta);

        Assert.Equal(2, Pem.ReadCertificates(once.Text).Count);
        Assert.Equal(a.ToPem(), twice.Text);
        Assert.True(once.IstiodReloads && twice.IstiodReloads);
        Assert.Equal("No changes detected in root cert or CRL file data, skipping update", V127Beta.Refusal(a.ToPem(), a.ToPem()));
    }

    [Fact]
    public void Text_written_by_another_tool_is_kept_byte_for_byte_when_a_root_is_added()
    {
        var foreign = "# written by hand\r\n" + _pki.A.Root.Certificate.ToPem().Replace("\n", "\r\n", StringComparison.Ordinal);

        var plan = IstioRootCertPlan.For(foreign, _pki.Both, issuerChanges: false, _pki.A.Root.Certificate, V126);

        Assert.StartsWith(foreign, plan.Text, StringComparison.Ordinal);
        Assert.True(plan.IstiodReloads);
    }

    [Fact]
    public void Removing_a_root_from_the_middle_needs_a_restart_before_1_30_and_reloads_in_place_from_1_30()
    {
        var c = TestPki.Hierarchy(Material.Now + TimeSpan.FromHours(2), name: "C").Root.Certificate;
        var three = TrustBundle.Of(_pki.A.Root.Certificate, _pki.B.Root.Certificate, c);
        var withoutMiddle = TrustBundle.Of(_pki.A.Root.Certificate, c);

        var before = IstioRootCertPlan.For(three.ToPem(), withoutMiddle, issuerChanges: false, c, V126);
        var from130 = IstioRootCertPlan.For(three.ToPem(), withoutMiddle, issuerChanges: false, c, V130);

        Assert.False(before.IstiodReloads);
        Assert.Contains("Updating new ROOT-CA not supported", before.Reason, StringComparison.Ordinal);
        Assert.True(from130.IstiodReloads, from130.Reason);
        Assert.True(TrustBundle.FromPem(from130.Text).SetEquals(withoutMiddle));
    }

    [Fact]
    public void The_1_30_rule_compares_certificate_sets_in_either_direction_and_the_1_20_to_1_29_rule_compares_text()
    {
        var a = _pki.A.Root.Certificate.ToPem();
        var b = _pki.B.Root.Certificate.ToPem();
        var reordered = b + a;   // same set as A+B, but neither text contains the other

        Assert.Null(V130.Refusal(a + b, reordered));
        Assert.Null(V130.Refusal(a + b, b));
        Assert.Equal("Updating new ROOT-CA not supported", V122.Refusal(a + b, reordered));
        Assert.Null(V122.Refusal(a + b, b));
        Assert.Equal("Updating new ROOT-CA not supported", V130.Refusal(a, b));
        Assert.Equal("Updating new ROOT-CA not supported", new IstiodReloadRule(IstiodVersion.Parse("1.30.0-alpha.2")!, true).Refusal(a + b, reordered));
    }

    [Fact]
    public void Istiod_1_19_refuses_every_root_change_and_multi_root_off_refuses_it_from_1_20()
    {
        var a = _pki.A.Root.Certificate.ToPem();
        var both = _pki.Both.ToPem();

        Assert.Equal("Updating new ROOT-CA not supported", V119.Refusal(a, both));
        Assert.Null(V119.Refusal(a, a));
        Assert.Equal("Multi root is disabled, updating new ROOT-CA not supported", (V126 with { MultiRoot = false }).Refusal(a, both));
        var plan = IstioRootCertPlan.For(a, _pki.Both, issuerChanges: false, _pki.A.Root.Certificate, V126 with { MultiRoot = false });
        Assert.False(plan.IstiodReloads);
    }

    [Theory]
    [InlineData("docker.io/istio/pilot:1.22.3", "1.22.3")]
    [InlineData("gcr.io/istio-release/pilot:1.26.0-distroless", "1.26.0")]
    [InlineData("localhost:5000/istio/pilot:1.27.0-beta.0", "1.27.0-beta.0")]
    [InlineData("docker.io/istio/pilot@sha256:0123456789abcdef", null)]
    [InlineData("registry:5000/pilot", null)]
    [InlineData("docker.io/istio/pilot:latest", null)]
    public void The_istiod_version_is_read_from_the_image_tag(string image, string? expected)
    {
        Assert.Equal(expected, IstiodVersion.FromImage(image)?.ToString());
    }
}

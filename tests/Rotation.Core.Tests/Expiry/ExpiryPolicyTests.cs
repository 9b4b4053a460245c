using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Domain;
using Rotation.Core.Expiry;
using Rotation.Testing;

namespace Rotation.Core.Tests.Expiry;

public sealed class ExpiryPolicyTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ExpiryPolicyOptions Defaults = new();

    /// <summary>Per layer: lifetime, warning and critical thresholds (the documented defaults).</summary>
    public static TheoryData<CertificateLayer, TimeSpan, TimeSpan, TimeSpan> Layers => new()
    {
        { CertificateLayer.Workload, TimeSpan.FromHours(24), TimeSpan.FromHours(4), TimeSpan.FromHours(1) },
        { CertificateLayer.IssuingCa, TimeSpan.FromDays(365), TimeSpan.FromDays(30), TimeSpan.FromDays(7) },
        { CertificateLayer.Intermediate, TimeSpan.FromDays(1825), TimeSpan.FromDays(182), TimeSpan.FromDays(30) },
        { CertificateLayer.Root, TimeSpan.FromDays(3650), TimeSpan.FromDays(730), TimeSpan.FromDays(182) },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void States_change_exactly_at_the_threshold_instants(CertificateLayer layer, TimeSpan lifetime, TimeSpan warning, TimeSpan critical)
    {
        var clock = new FakeTimeProvider(Start);
        var notAfter = Start + lifetime;
        var tick = TimeSpan.FromTicks(1);

        ExpiryState At(DateTimeOffset instant)
        {
            clock.SetUtcNow(instant);
            return ExpiryPolicy.Assess(layer, Start, notAfter, clock.GetUtcNow(), Defaults).State;
        }

        Assert.Equal(ExpiryState.Ok, At(Start));
        Assert.Equal(ExpiryState.Ok, At(notAfter - warning - tick));
        Assert.Equal(ExpiryState.Warning, At(notAfter - warning));
        Assert.Equal(ExpiryState.Warning, At(notAfter - critical - tick));
        Assert.Equal(ExpiryState.Critical, At(notAfter - critical));
        Assert.Equal(ExpiryState.Critical, At(notAfter - tick));
        Assert.Equal(ExpiryState.Expired, At(notAfter));
        Assert.Equal(ExpiryState.Expired, At(notAfter + TimeSpan.FromDays(1)));
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        Assert.Equal((TimeSpan.FromHours(4), TimeSpan.FromHours(1)), (Defaults.Workload.Warning, Defaults.Workload.Critical));
        Assert.Equal((TimeSpan.FromDays(30), TimeSpan.FromDays(7)), (Defaults.IssuingCa.Warning, Defaults.IssuingCa.Critical));
        Assert.Equal((TimeSpan.FromDays(182), TimeSpan.FromDays(30)), (Defaults.Intermediate.Warning, Defaults.Intermediate.Critical));
        Assert.Equal((TimeSpan.FromDays(730), TimeSpan.FromDays(182)), (Defaults.Root.Warning, Defaults.Root.Critical));
        Assert.Equal(1.0 / 3.0, Defaults.RotationDueFraction);
    }

    [Theory]
    [InlineData(CertificateLayer.IssuingCa, true)]
    [InlineData(CertificateLayer.Intermediate, true)]
    [InlineData(CertificateLayer.Root, true)]
    [InlineData(CertificateLayer.Workload, false)]
    public void Rotation_is_due_from_two_thirds_of_life_for_ca_layers_only(CertificateLayer layer, bool dueAtTwoThirds)
    {
        var notAfter = Start + TimeSpan.FromDays(300);

        var before = ExpiryPolicy.Assess(layer, Start, notAfter, Start + TimeSpan.FromDays(199), Defaults);
        var atTwoThirds = ExpiryPolicy.Assess(layer, Start, notAfter, Start + TimeSpan.FromDays(200), Defaults);

        Assert.False(before.RotationDue);
        Assert.Equal(dueAtTwoThirds, atTwoThirds.RotationDue);
        Assert.Equal(1.0 / 3.0, atTwoThirds.LifetimeLeftFraction, 9);
        Assert.Equal(TimeSpan.FromDays(100), atTwoThirds.TimeLeft);
    }

    [Fact]
    public void Rotation_due_fraction_is_configurable()
    {
        var options = new ExpiryPolicyOptions { RotationDueFraction = 0.5 };
        var notAfter = Start + TimeSpan.FromDays(100);

        Assert.False(ExpiryPolicy.Assess(CertificateLayer.IssuingCa, Start, notAfter, Start + TimeSpan.FromDays(49), options).RotationDue);
        Assert.True(ExpiryPolicy.Assess(CertificateLayer.IssuingCa, Start, notAfter, Start + TimeSpan.FromDays(50), options).RotationDue);
    }

    [Fact]
    public void Fraction_is_clamped_and_time_left_goes_negative()
    {
        var notAfter = Start + TimeSpan.FromDays(10);

        var early = ExpiryPolicy.Assess(CertificateLayer.Root, Start, notAfter, Start - TimeSpan.FromDays(5), Defaults);
        var late = ExpiryPolicy.Assess(CertificateLayer.Root, Start, notAfter, notAfter + TimeSpan.FromDays(5), Defaults);

        Assert.Equal(1.0, early.LifetimeLeftFraction);
        Assert.Equal(0.0, late.LifetimeLeftFraction);
        Assert.Equal(TimeSpan.FromDays(-5), late.TimeLeft);
        Assert.Equal(ExpiryState.Expired, late.State);
        Assert.True(late.RotationDue);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(0.5000001)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Rotation_due_fraction_outside_zero_to_half_is_rejected(double fraction)
    {
        var options = new ExpiryPolicyOptions { RotationDueFraction = fraction };

        var ex = Assert.Throws<DomainException>(options.Validate);
        var viaAssess = Assert.Throws<DomainException>(() => ExpiryPolicy.Assess(CertificateLayer.Root, Start, Start.AddDays(1), Start, options));
        var viaValidator = new ExpiryPolicyOptionsValidator().Validate(null, options);

        Assert.Contains("RotationDueFraction", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at most 0.5", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ex.Message, viaAssess.Message);
        Assert.True(viaValidator.Failed);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.25)]
    [InlineData(0.0001)]
    public void Rotation_due_fraction_inside_the_range_is_accepted(double fraction)
    {
        new ExpiryPolicyOptions { RotationDueFraction = fraction }.Validate();

        Assert.True(new ExpiryPolicyOptionsValidator().Validate(null, new ExpiryPolicyOptions { RotationDueFraction = fraction }).Succeeded);
    }

    [Fact]
    public void Critical_longer_than_warning_is_rejected()
    {
        var options = new ExpiryPolicyOptions { Root = new ExpiryThresholds(TimeSpan.FromDays(10), TimeSpan.FromDays(20)) };

        var ex = Assert.Throws<DomainException>(options.Validate);

        Assert.Contains("Root", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_lifetime_is_rejected()
    {
        Assert.Throws<DomainException>(() => ExpiryPolicy.Assess(CertificateLayer.Root, Start, Start, Start, Defaults));
    }

    [Theory]
    [InlineData(CaRole.Root, CertificateLayer.Root)]
    [InlineData(CaRole.Intermediate, CertificateLayer.IssuingCa)]
    public void Domain_roles_map_to_layers(CaRole role, CertificateLayer layer)
    {
        Assert.Equal(layer, ExpiryPolicy.LayerOf(role));
    }

    [Fact]
    public void Assess_reads_a_certificates_validity()
    {
        var pki = TestPki.Hierarchy(Start);
        var intermediate = pki.Intermediate.Certificate;

        var assessment = ExpiryPolicy.Assess(CertificateLayer.IssuingCa, intermediate, intermediate.NotAfter - TimeSpan.FromDays(3), Defaults);

        Assert.Equal(ExpiryState.Critical, assessment.State);
        Assert.True(assessment.RotationDue);
    }
}

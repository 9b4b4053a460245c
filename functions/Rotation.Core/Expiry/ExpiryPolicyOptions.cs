using Rotation.Core.Domain;

namespace Rotation.Core.Expiry;

/// <summary>
/// When certificates of each layer count as Warning or Critical, and when a CA is due for rotation.
/// Bind from configuration section <see cref="SectionName"/>; call <see cref="Validate"/> (hosts do it at start-up).
/// </summary>
public sealed class ExpiryPolicyOptions
{
    public const string SectionName = "Expiry";

    /// <summary>Workload leaves live hours; the mesh renews them, so only a stalled renewal trips these. Default 4h / 1h.</summary>
    public ExpiryThresholds Workload { get; set; } = new(TimeSpan.FromHours(4), TimeSpan.FromHours(1));

    /// <summary>The CA that signs leaves. Default 30 days / 7 days.</summary>
    public ExpiryThresholds IssuingCa { get; set; } = new(TimeSpan.FromDays(30), TimeSpan.FromDays(7));

    /// <summary>Intermediates above the issuing CA. Default 182 days (6 months) / 30 days.</summary>
    public ExpiryThresholds Intermediate { get; set; } = new(TimeSpan.FromDays(182), TimeSpan.FromDays(30));

    /// <summary>Roots: replacing one touches every trust store, so warn early. Default 730 days (2 years) / 182 days (6 months).</summary>
    public ExpiryThresholds Root { get; set; } = new(TimeSpan.FromDays(730), TimeSpan.FromDays(182));

    /// <summary>
    /// A CA is due for rotation once the fraction of its lifetime left is at or below this. Valid range (0, 0.5]:
    /// the rule is "rotate an intermediate when between a half and a third of its lifetime is left", which leaves
    /// a full leaf-TTL plus margin for the new CA to propagate before the old one expires. Default 1/3.
    /// </summary>
    public double RotationDueFraction { get; set; } = 1.0 / 3.0;

    public ExpiryThresholds For(CertificateLayer layer) => layer switch
    {
        CertificateLayer.Workload => Workload,
        CertificateLayer.IssuingCa => IssuingCa,
        CertificateLayer.Intermediate => Intermediate,
        CertificateLayer.Root => Root,
        _ => throw new DomainException($"unknown certificate layer '{layer}': use Workload, IssuingCa, Intermediate or Root"),
    };

    /// <summary>Throws <see cref="DomainException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (double.IsNaN(RotationDueFraction) || RotationDueFraction <= 0 || RotationDueFraction > 0.5)
        {
            throw new DomainException(
                $"{SectionName}:{nameof(RotationDueFraction)} is {RotationDueFraction}: it must be greater than 0 and at most 0.5 (rotate when between a half and a third of the lifetime is left; default 0.3333)");
        }

        foreach (var layer in Enum.GetValues<CertificateLayer>())
        {
            var thresholds = For(layer) ?? throw new DomainException($"{SectionName}:{layer} is missing: set its Warning and Critical thresholds");
            if (thresholds.Critical < TimeSpan.Zero || thresholds.Warning < TimeSpan.Zero)
            {
                throw new DomainException($"{SectionName}:{layer} thresholds must not be negative (warning {thresholds.Warning}, critical {thresholds.Critical}): use positive durations");
            }

            if (thresholds.Critical > thresholds.Warning)
            {
                throw new DomainException($"{SectionName}:{layer} critical threshold {thresholds.Critical} is longer than warning threshold {thresholds.Warning}: critical must be the shorter one");
            }
        }
    }
}

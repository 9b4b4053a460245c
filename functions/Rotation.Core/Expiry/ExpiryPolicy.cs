// TEMPORARY STUB on branch cli until branch pki lands Core/Expiry; replaced on merge.
using Rotation.Core.Pki;

namespace Rotation.Core.Expiry;

public enum CertificateLayer
{
    Root,
    Intermediate,
    Leaf,
}

public enum ExpiryState
{
    Ok,
    Warning,
    Critical,
    Expired,
}

public sealed class ExpiryPolicyOptions
{
    public double WarningPercent { get; set; } = 30;
    public double CriticalPercent { get; set; } = 10;
    public double RotationDueFraction { get; set; } = 2.0 / 3.0;
}

public sealed record ExpiryAssessment(ExpiryState State, TimeSpan TimeLeft, double LifetimeLeftPercent, bool RotationDue);

public static class ExpiryPolicy
{
    public static ExpiryAssessment Assess(Certificate certificate, CertificateLayer layer, DateTimeOffset at, ExpiryPolicyOptions options)
    {
        _ = layer;
        var left = certificate.NotAfter - at;
        var percent = Math.Clamp(left / certificate.Lifetime * 100, 0, 100);
        var state = left <= TimeSpan.Zero ? ExpiryState.Expired
            : percent <= options.CriticalPercent ? ExpiryState.Critical
            : percent <= options.WarningPercent ? ExpiryState.Warning
            : ExpiryState.Ok;
        var due = at >= certificate.NotBefore + (certificate.Lifetime * options.RotationDueFraction);
        return new ExpiryAssessment(state, left, percent, due);
    }
}

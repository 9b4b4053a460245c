namespace Rotation.Core.Expiry;

/// <summary>
/// Time-left thresholds for one layer: at or below <see cref="Warning"/> the state is Warning, at or below
/// <see cref="Critical"/> it is Critical. Critical must not exceed Warning.
/// </summary>
public sealed class ExpiryThresholds
{
    public ExpiryThresholds()
    {
    }

    public ExpiryThresholds(TimeSpan warning, TimeSpan critical)
    {
        Warning = warning;
        Critical = critical;
    }

    public TimeSpan Warning { get; set; }
    public TimeSpan Critical { get; set; }
}

namespace Rotation.Core.Expiry;

/// <summary>
/// How close a certificate is to expiry. <see cref="TimeLeft"/> is negative once expired;
/// <see cref="LifetimeLeftFraction"/> is clamped to [0, 1].
/// </summary>
public sealed record ExpiryAssessment(ExpiryState State, TimeSpan TimeLeft, double LifetimeLeftFraction, bool RotationDue);

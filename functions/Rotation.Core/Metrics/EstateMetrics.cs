using Rotation.Core.Expiry;
using Rotation.Core.Rotations;

namespace Rotation.Core.Metrics;

/// <summary>
/// What Rotation knows about an estate at one instant, shaped for a metrics exporter: one sample per CA, one per
/// active rotation, and the outbox depth. Plain values only, so an exporter (Prometheus, OpenTelemetry) is a thin
/// mapping and the arithmetic is tested here.
/// </summary>
public sealed record EstateMetrics(
    DateTimeOffset At,
    IReadOnlyList<CaExpirySample> Authorities,
    IReadOnlyList<RotationSample> Rotations,
    OutboxSample Outbox);

/// <summary>
/// One CA. <see cref="Cluster"/> is empty for a CA as Rotation's store holds it (the same certificate every
/// registered cluster of the domain was given); it names the cluster when the certificate was read from one.
/// </summary>
public sealed record CaExpirySample(
    string Domain,
    CertificateLayer Layer,
    string Ca,
    string Cluster,
    string Status,
    DateTimeOffset NotAfter,
    double LifetimeLeftRatio,
    ExpiryState State);

/// <summary>An active rotation: where it is, for how long, and why its gate holds (if it does).</summary>
public sealed record RotationSample(
    string Domain,
    string RotationId,
    RotationKind Kind,
    RotationPhase Phase,
    TimeSpan InPhase,
    GateHold? Gate);

/// <summary>
/// A holding gate: a reason from a bounded set (a metric label must not carry free text), for how long, and when
/// the engine means to look again (null while it waits for a human). A next check far in the past means nothing is
/// driving the rotation: the process that ran it died and nobody resumed it.
/// </summary>
public sealed record GateHold(GateHoldReason Reason, TimeSpan Holding, DateTimeOffset? NextCheckAt);

/// <summary>Events not yet delivered, and the age of the oldest of them (zero when none is pending).</summary>
public sealed record OutboxSample(int Pending, TimeSpan OldestPendingAge);

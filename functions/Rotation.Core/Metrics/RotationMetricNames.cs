namespace Rotation.Core.Metrics;

/// <summary>
/// Metric names, in one place because the alert pack (infra/prometheus/rotation-alerts.rules.yml) matches on them.
/// Units follow Prometheus naming: seconds, ratios in [0, 1], unix timestamps in seconds.
/// </summary>
public static class RotationMetricNames
{
    public const string CaExpiryTimestamp = "rotation_ca_expiry_timestamp_seconds";
    public const string CaLifetimeLeftRatio = "rotation_ca_lifetime_left_ratio";
    public const string CaExpiryState = "rotation_ca_expiry_state";
    public const string RotationPhase = "rotation_phase_info";
    public const string RotationPhaseSeconds = "rotation_phase_seconds";
    public const string GateHoldingSeconds = "rotation_gate_holding_seconds";
    public const string GateNextCheckTimestamp = "rotation_gate_next_check_timestamp_seconds";
    public const string OutboxPending = "rotation_outbox_pending_events";
    public const string OutboxOldestPendingAge = "rotation_outbox_oldest_pending_age_seconds";
}

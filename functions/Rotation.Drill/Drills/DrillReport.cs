using System.Text.Json;
using System.Text.Json.Serialization;
using Rotation.Drill.Estate;

namespace Rotation.Drill.Drills;

/// <summary>
/// What a drill proved. <see cref="WallMs"/> spans the rotation itself (not the Before/After check rounds);
/// <see cref="MandatoryWaitMs"/> is the part of it the estate's physics imposed (bundle propagation, leaves
/// moving to a new issuer), so <see cref="OverheadMs"/> is what the rotation added on top.
/// </summary>
public sealed record DrillReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public required long TotalHandshakes { get; init; }
    public required long TotalFailures { get; init; }
    public required IReadOnlyList<DrillPhaseReport> Phases { get; init; }
    public required long WallMs { get; init; }
    public required long MandatoryWaitMs { get; init; }
    public required long OverheadMs { get; init; }

    /// <summary>Engine overhead as a share of the mandatory waits (issue 10's goal: at most 0.10); 0 without waits.</summary>
    public double OverheadRatio => MandatoryWaitMs > 0 ? Math.Round((double)OverheadMs / MandatoryWaitMs, 3) : 0;
    public required int Clusters { get; init; }
    public required int Workloads { get; init; }
    public required string Sampling { get; init; }
    public required long OpenSslHandshakes { get; init; }
    public required int Rounds { get; init; }

    /// <summary>Up to twenty failed handshakes, one line each, to show what broke.</summary>
    public IReadOnlyList<string> FailureExamples { get; init; } = [];

    /// <summary>Why the rotation itself stopped with an error; null when it finished.</summary>
    public string? Error { get; init; }

    /// <summary>The workloads' leaf lifetime (given, or scaled to the estate: see LeafTtlScaling); 0 when not recorded.</summary>
    public long LeafTtlMs { get; init; }

    /// <summary>Per gate, the time from "every piece of evidence is in place" to "gate released" (see GateReleaseTracker); empty for negative controls.</summary>
    public GateReleaseReport GateRelease { get; init; } = GateReleaseReport.None;

    /// <summary>The custody, store and event sink the drill ran on; null for negative controls (they use none).</summary>
    public DrillAdaptersReport? Adapters { get; init; }

    /// <summary>What the outbox publisher did during the drill; null without --events.</summary>
    public DrillEventsReport? Events { get; init; }

    /// <summary>How late the workloads renewed their leaves; renewals after expiry make the run invalid.</summary>
    public RenewalLatenessReport Renewals { get; init; } = new(0, 0, 0, null);

    /// <summary>
    /// False when the machine starved the simulation: some workload renewed its leaf only after that leaf had expired,
    /// so failures then are the machine's, not the engine's. An invalid run proves nothing either way.
    /// </summary>
    public bool Valid => Renewals.AfterExpiry == 0;

    /// <summary>The run was valid, the rotation finished, traffic flowed, and not one handshake failed.</summary>
    public bool Passed => Valid && Error is null && TotalHandshakes > 0 && TotalFailures == 0;

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

public sealed record DrillPhaseReport(
    string Name,
    long Handshakes,
    long Failures,
    long DurationMs,
    IReadOnlyDictionary<string, long> FailureReasons,
    long OpenSslHandshakes);

using Rotation.Drill.Traffic;

namespace Rotation.Drill.Drills;

public sealed class DrillOptions
{
    public TrafficOptions Traffic { get; init; } = new();

    /// <summary>Runs one full round before the rotation and one after it (phases "Before" and "After"), so the report shows the estate healthy at both ends.</summary>
    public bool CheckBeforeAndAfter { get; init; } = true;

    /// <summary>How often the phase source is read to time the phases and trigger openssl checks.</summary>
    public TimeSpan PhasePollInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Told once per phase as traffic first meets it ("Before", each rotation phase, "After"), for live progress; may be called from any thread.</summary>
    public Action<string>? PhaseStarted { get; init; }
}

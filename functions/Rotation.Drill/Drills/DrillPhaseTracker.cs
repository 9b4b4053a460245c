using Rotation.Core.Rotations;

namespace Rotation.Drill.Drills;

/// <summary>A settable phase source: call <see cref="Set(string)"/> from a phase-changed callback.</summary>
public sealed class DrillPhaseTracker : IDrillPhaseSource
{
    public const string Starting = "Starting";

    private string _current = Starting;

    public string CurrentPhase => Volatile.Read(ref _current);

    public void Set(string phase) => Volatile.Write(ref _current, phase);

    public void Set(RotationPhase phase) => Set(phase.ToString());
}

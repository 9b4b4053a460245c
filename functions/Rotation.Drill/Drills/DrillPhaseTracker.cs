using Rotation.Core.Rotations;

namespace Rotation.Drill.Drills;

/// <summary>A settable phase source: call <see cref="Set(string)"/> (or <see cref="Observe"/>) from a phase-changed callback.</summary>
public sealed class DrillPhaseTracker : IDrillPhaseSource
{
    public const string Starting = "Starting";

    private string _current = Starting;

    public event Action<string>? PhaseChanged;

    public string CurrentPhase => Volatile.Read(ref _current);

    public void Set(string phase)
    {
        if (Interlocked.Exchange(ref _current, phase) != phase)
            PhaseChanged?.Invoke(phase);
    }

    public void Set(RotationPhase phase) => Set(phase.ToString());

    /// <summary>The phase a rotation record is in, or its final status once it has none (e.g. "Completed").</summary>
    public void Observe(RotationRecord record) => Set(record.CurrentPhase?.ToString() ?? record.Status.ToString());
}

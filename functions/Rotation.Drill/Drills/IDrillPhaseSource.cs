namespace Rotation.Drill.Drills;

/// <summary>
/// Where the drill learns which phase the rotation is in, so each handshake is counted under it. The engine's
/// host (or a negative control) sets it; the drill only reads it.
/// </summary>
public interface IDrillPhaseSource
{
    string CurrentPhase { get; }

    /// <summary>Raised on every change, so a phase shorter than the drill's polling still shows in the report.</summary>
    event Action<string>? PhaseChanged;
}

namespace Rotation.Drill.Drills;

/// <summary>
/// Where the drill learns which phase the rotation is in, so each handshake is counted under it. The engine's
/// host (or a negative control) sets it; the drill only reads it.
/// </summary>
public interface IDrillPhaseSource
{
    string CurrentPhase { get; }
}

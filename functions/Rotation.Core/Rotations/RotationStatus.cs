namespace Rotation.Core.Rotations;

public enum RotationStatus
{
    /// <summary>Moving forward through the plan (possibly waiting on a gate or a timer).</summary>
    Running,
    /// <summary>An abort was accepted; the unwind plan is running.</summary>
    Aborting,
    Completed,
    Aborted,
    Failed,
}

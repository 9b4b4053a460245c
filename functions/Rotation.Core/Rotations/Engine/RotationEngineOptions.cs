namespace Rotation.Core.Rotations.Engine;

/// <summary>Engine settings that are not part of a rotation's policy.</summary>
public sealed class RotationEngineOptions
{
    /// <summary>How many targets a step talks to at once. Bounded so one rotation cannot flood a fleet of API servers.</summary>
    public int MaxTargetConcurrency { get; set; } = 8;
}

namespace Rotation.Core.Rotations.Engine;

/// <summary>A dry run: the phases a rotation would run, what each writes, and the targets it would touch.</summary>
public sealed record RotationPlanPreview(
    string Domain,
    RotationKind Kind,
    IReadOnlyList<PlannedPhase> Phases,
    IReadOnlyList<string> Targets);

public sealed record PlannedPhase(RotationPhase Phase, string Writes, bool NeedsApproval);

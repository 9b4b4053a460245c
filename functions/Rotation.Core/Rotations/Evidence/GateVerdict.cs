namespace Rotation.Core.Rotations.Evidence;

/// <summary>
/// The outcome of a gate check: satisfied, or holding with the first reason and a per-target detail.
/// <see cref="RecheckNoEarlierThan"/> is set when a time rule says when looking again can help.
/// </summary>
public sealed record GateVerdict(
    bool Satisfied,
    string Reason,
    IReadOnlyDictionary<string, TargetVerdict> PerTarget,
    DateTimeOffset? RecheckNoEarlierThan = null);

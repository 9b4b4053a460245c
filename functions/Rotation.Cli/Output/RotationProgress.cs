using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Spectre.Console;

namespace Rotation.Cli.Output;

/// <summary>Prints what changed between the records the driver sees: a line per phase started and finished, and per target.</summary>
public sealed class RotationProgress
{
    private readonly IAnsiConsole _console;
    private (int Generation, int Index)? _phase;
    private readonly Dictionary<string, TargetState> _targets = new(StringComparer.Ordinal);
    private string? _gateReason;

    public RotationProgress(IAnsiConsole console) => _console = console;

    public RotationRecord? Last { get; private set; }

    public void Observe(RotationRecord record)
    {
        Last = record;
        if (_phase is { } seen && (seen.Generation != record.PlanGeneration || seen.Index != record.PhaseIndex))
        {
            _console.MarkupLineInterpolated($"[green]done[/]    {record.Plan.ElementAtOrDefault(seen.Index).ToString()}");
            _targets.Clear();
            _gateReason = null;
        }

        if (record.CurrentPhase is { } phase && _phase != (record.PlanGeneration, record.PhaseIndex))
        {
            _console.MarkupLineInterpolated($"[bold]phase[/]   {phase} ({record.PhaseIndex + 1}/{record.Plan.Count}): {PhaseDescriptions.Describe(record.Kind, phase)}");
        }

        _phase = (record.PlanGeneration, record.PhaseIndex);
        foreach (var (target, progress) in record.Targets.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (progress.Phase == record.CurrentPhase && _targets.GetValueOrDefault(target, (TargetState)(-1)) != progress.State)
            {
                _targets[target] = progress.State;
                _console.MarkupLineInterpolated($"  target {target}: {progress.State.ToString().ToLowerInvariant()} {progress.Detail}");
            }
        }

        if (record.Gate is { } gate && gate.Reason != _gateReason)
        {
            _gateReason = gate.Reason;
            _console.MarkupLineInterpolated($"  [yellow]holding[/] {gate.Phase}: {gate.Reason} (next check {TimeText.Instant(gate.NextCheckAt)})");
        }
    }
}

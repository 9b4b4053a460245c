using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Spectre.Console;

namespace Rotation.Cli.Output;

/// <summary>Prints what changed between the records the driver sees: a line per phase started and finished, and per target.</summary>
public sealed class RotationProgress
{
    private readonly IAnsiConsole _console;
    private readonly HashSet<(int Generation, RotationPhase Phase, string Target, TargetState State)> _targetsSeen = [];
    private (int Generation, int Index)? _phase;
    private string? _gateReason;

    public RotationProgress(IAnsiConsole console) => _console = console;

    public RotationRecord? Last { get; private set; }

    public void Observe(RotationRecord record)
    {
        Last = record;

        // Target lines first: a record that finishes a phase carries that phase's per-target outcome.
        foreach (var (target, progress) in record.Targets.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (_targetsSeen.Add((record.PlanGeneration, progress.Phase, target, progress.State)))
            {
                _console.MarkupLineInterpolated($"  target {target}: {progress.State.ToString().ToLowerInvariant()} {progress.Detail}");
            }
        }

        if (_phase is { } seen && (seen.Generation != record.PlanGeneration || seen.Index != record.PhaseIndex))
        {
            var finished = seen.Generation == record.PlanGeneration ? record.Plan.ElementAtOrDefault(seen.Index).ToString() : "phase";
            _console.MarkupLineInterpolated($"[green]done[/]    {finished}");
            _gateReason = null;
        }

        if (record.CurrentPhase is { } phase && _phase != (record.PlanGeneration, record.PhaseIndex))
        {
            _console.MarkupLineInterpolated($"[bold]phase[/]   {phase} ({record.PhaseIndex + 1}/{record.Plan.Count}): {PhaseDescriptions.Describe(record.Kind, phase)}");
        }

        _phase = (record.PlanGeneration, record.PhaseIndex);
        if (record.Gate is { } gate && gate.Reason != _gateReason)
        {
            _gateReason = gate.Reason;
            _console.MarkupLineInterpolated($"  [yellow]holding[/] {gate.Phase}: {gate.Reason} (next check {TimeText.Instant(gate.NextCheckAt)})");
        }
    }

    /// <summary>The driver sits out a wait in this process: say what it waits for and until when, so a quiet terminal is not a hung one.</summary>
    public void Waiting(DateTimeOffset until, DateTimeOffset now)
    {
        var what = Last?.Gate is { } gate ? $"gate {gate.Phase}: {gate.Reason}" : $"{Last?.CurrentPhase.ToString() ?? "the next step"}";
        _console.MarkupLineInterpolated($"  [grey]waiting[/] until {until.UtcDateTime.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)} UTC (in {TimeText.Left(until - now)}) for {what}");
    }
}

using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Spectre.Console;

namespace Rotation.Cli.Output;

/// <summary>Rotations as tables: a list, or one rotation's phases, targets, gate and approvals.</summary>
public static class RotationView
{
    public static void RenderList(IAnsiConsole console, IReadOnlyList<RotationRecord> records)
    {
        if (records.Count == 0)
        {
            console.MarkupLine("No rotations yet. Start one with 'rotation rotate intermediate' or 'rotation rotate root'.");
            return;
        }

        var table = new Table().AddColumns("Id", "Domain", "Kind", "Status", "Phase", "Created", "Updated");
        foreach (var record in records.OrderByDescending(r => r.CreatedAt))
        {
            table.AddRow(
                Markup.Escape(record.Id),
                Markup.Escape(record.Domain),
                record.Kind.ToString().ToLowerInvariant(),
                StatusMarkup(record.Status),
                record.CurrentPhase?.ToString() ?? "-",
                TimeText.Instant(record.CreatedAt),
                TimeText.Instant(record.UpdatedAt));
        }

        console.Write(table);
    }

    public static void RenderDetail(IAnsiConsole console, RotationRecord record, DateTimeOffset now)
    {
        console.MarkupLine($"[bold]{Markup.Escape(record.Id)}[/]: {record.Kind.ToString().ToLowerInvariant()} rotation of {Markup.Escape(record.Domain)}, {StatusMarkup(record.Status)}");
        var phases = new Table().AddColumns("#", "Phase", "State", "What it does");
        for (var i = 0; i < record.Plan.Count; i++)
        {
            var phase = record.Plan[i];
            var state = i < record.PhaseIndex ? "[green]done[/]"
                : i == record.PhaseIndex && record.IsActive ? "[yellow]current[/]"
                : record.Policy.RequiresApproval(phase) && !record.IsApproved(phase) && record.Status == RotationStatus.Running ? "needs approval"
                : "pending";
            phases.AddRow((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), phase.ToString(), state, Markup.Escape(PhaseDescriptions.Describe(record.Kind, phase)));
        }

        console.Write(phases);
        if (record.Targets.Count > 0)
        {
            var targets = new Table().AddColumns("Target", "Phase", "State", "Detail");
            foreach (var (name, progress) in record.Targets.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                targets.AddRow(Markup.Escape(name), progress.Phase.ToString(), progress.State.ToString().ToLowerInvariant(), Markup.Escape(progress.Detail));
            }

            console.Write(targets);
        }

        if (record.Gate is { } gate)
        {
            console.MarkupLine($"[yellow]Gate[/] {gate.Phase} holds: {Markup.Escape(gate.Reason)} (checked {gate.Attempts}x, next {TimeText.Instant(gate.NextCheckAt)})");
        }

        switch (RotationDecider.Decide(record, now))
        {
            case RotationDecision.AwaitApproval approval:
                console.MarkupLine($"Waiting for an approval of {approval.Phase}: 'rotation approve {Markup.Escape(record.Id)} --phase {approval.Phase}'.");
                break;
            case RotationDecision.Finished when record.FailureReason is { } reason:
                console.MarkupLine($"[red]Failed[/]: {Markup.Escape(reason)}");
                break;
        }

        foreach (var approval in record.Approvals)
        {
            console.MarkupLine($"Approved {approval.Phase} by {Markup.Escape(approval.ApprovedBy)} at {TimeText.Instant(approval.ApprovedAt)}");
        }
    }

    private static string StatusMarkup(RotationStatus status) => status switch
    {
        RotationStatus.Completed => "[green]completed[/]",
        RotationStatus.Failed => "[red]failed[/]",
        RotationStatus.Aborted => "[yellow]aborted[/]",
        RotationStatus.Aborting => "[yellow]aborting[/]",
        _ => "running",
    };
}

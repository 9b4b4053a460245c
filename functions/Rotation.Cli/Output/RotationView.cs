using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Spectre.Console;

namespace Rotation.Cli.Output;

/// <summary>Rotations as tables: a list, or one rotation's phases, targets, gate and approvals.</summary>
public static class RotationView
{
    public static void RenderList(IAnsiConsole console, IReadOnlyList<RotationRecord> records, DateTimeOffset now)
    {
        if (records.Count == 0)
        {
            console.MarkupLine("No rotations yet. Start one with 'rotation rotate intermediate' or 'rotation rotate root'.");
            return;
        }

        new FittingTable<RotationRecord>(["Id", "Domain", "Kind", "Status", "Phase", "Waits for", "Created", "Updated"], (record, column) => column switch
        {
            "Id" => Markup.Escape(record.Id),
            "Domain" => Markup.Escape(record.Domain),
            "Kind" => record.Kind.ToString().ToLowerInvariant(),
            "Status" => StatusMarkup(record, now),
            "Phase" => record.CurrentPhase?.ToString() ?? "-",
            "Waits for" => Markup.Escape(WaitsFor(RotationWaiting.Of(record, now), now)),
            "Created" => TimeText.Instant(record.CreatedAt),
            _ => TimeText.Instant(record.UpdatedAt),
        })
        {
            Expendable = ["Created", "Domain", "Kind"],
            Wrappable = ["Waits for"],
        }.Write(console, records.OrderByDescending(r => r.CreatedAt).ToList());
    }

    public static void RenderDetail(IAnsiConsole console, RotationRecord record, DateTimeOffset now)
    {
        console.MarkupLine($"[bold]{Markup.Escape(record.Id)}[/]: {record.Kind.ToString().ToLowerInvariant()} rotation of {Markup.Escape(record.Domain)}, {StatusMarkup(record, now)}");
        var phases = new Table().AddColumns("#", "Phase", "State", "What it does");
        for (var i = 0; i < record.Plan.Count; i++)
        {
            var phase = record.Plan[i];
            var state = i < record.PhaseIndex ? "[green]done[/]"
                : i == record.PhaseIndex && record.IsActive ? "[yellow]current[/]"
                : record.AwaitsApproval(phase) ? "needs approval"
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

        var waiting = RotationWaiting.Of(record, now);
        switch (waiting.Kind)
        {
            case RotationWaitKind.Approval:
                console.MarkupLine($"Waiting for an approval of {waiting.Phase}: '{Markup.Escape(waiting.Next!)}'.");
                break;
            case RotationWaitKind.Gate:
                console.MarkupLine($"[yellow]Parked[/]: waits for {Markup.Escape(WaitsFor(waiting, now))}; {Markup.Escape(waiting.Reason ?? string.Empty)}");
                console.MarkupLine($"Next: {Markup.Escape(waiting.Next!)}");
                break;
            case RotationWaitKind.Ready:
                console.MarkupLine($"Ready: {Markup.Escape(waiting.Summary)}: '{Markup.Escape(waiting.Next!)}'.");
                break;
            case RotationWaitKind.Finished when record.FailureReason is { } reason:
                console.MarkupLine($"[red]Failed[/]: {Markup.Escape(reason)}");
                break;
        }

        foreach (var approval in record.Approvals)
        {
            console.MarkupLine($"Approved {approval.Phase} by {Markup.Escape(approval.ApprovedBy)} at {TimeText.Instant(approval.ApprovedAt)}");
        }
    }

    /// <summary>"gate VerifyLeaves until 2026-03-04 09:00:00 UTC (in 2d 23h)", "approval of RetireOldRoot", "-".</summary>
    public static string WaitsFor(RotationWaiting waiting, DateTimeOffset now) => waiting.Kind switch
    {
        RotationWaitKind.Approval => $"approval of {waiting.Phase}",
        RotationWaitKind.Gate when waiting.Until is { } until =>
            $"gate {waiting.Phase} until {until.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)} UTC (in {TimeText.Left(until - now)})",
        RotationWaitKind.Ready => "resume (nothing blocks)",
        _ => "-",
    };

    // A running rotation that waits for a person or a gate is not "running": nothing runs until then.
    private static string StatusMarkup(RotationRecord record, DateTimeOffset now) => record.Status == RotationStatus.Running
        ? RotationWaiting.Of(record, now).Kind switch
        {
            RotationWaitKind.Approval => "[yellow]awaiting approval[/]",
            RotationWaitKind.Gate => "[yellow]parked[/]",
            _ => "running",
        }
        : StatusMarkup(record.Status);

    private static string StatusMarkup(RotationStatus status) => status switch
    {
        RotationStatus.Completed => "[green]completed[/]",
        RotationStatus.Failed => "[red]failed[/]",
        RotationStatus.Aborted => "[yellow]aborted[/]",
        RotationStatus.Aborting => "[yellow]aborting[/]",
        _ => "running",
    };
}

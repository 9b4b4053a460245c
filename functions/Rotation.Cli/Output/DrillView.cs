using System.Globalization;
using Rotation.Drill.Drills;
using Spectre.Console;

namespace Rotation.Cli.Output;

/// <summary>The drill's report as a table per phase and a verdict line.</summary>
internal static class DrillView
{
    public static void Render(IAnsiConsole console, DrillResult result, NegativeControl? control)
    {
        var report = result.Report;
        var title = control is { } negative
            ? $"negative control {negative}: {report.Clusters} clusters x {report.Workloads / Math.Max(1, report.Clusters)} workloads"
            : $"rotation {result.Rotation?.Id} ({result.Rotation?.Kind.ToString().ToLowerInvariant()}): {report.Clusters} clusters x {report.Workloads / Math.Max(1, report.Clusters)} workloads";
        console.MarkupLineInterpolated($"[bold]Drill[/] {title}");

        var table = new Table().AddColumns("Phase", "Duration", "Handshakes", "openssl", "Failures", "Failure reasons");
        foreach (var phase in report.Phases)
        {
            var reasons = string.Join(", ", phase.FailureReasons.Select(r => $"{r.Key} {r.Value}"));
            table.AddRow(
                Markup.Escape(phase.Name),
                $"{phase.DurationMs} ms",
                phase.Handshakes.ToString(CultureInfo.InvariantCulture),
                phase.OpenSslHandshakes.ToString(CultureInfo.InvariantCulture),
                phase.Failures == 0 ? "[green]0[/]" : $"[red]{phase.Failures}[/]",
                Markup.Escape(reasons));
        }

        console.Write(table);
        console.WriteLine($"wall {report.WallMs} ms = mandatory waits {report.MandatoryWaitMs} ms + engine overhead {report.OverheadMs} ms; {report.Rounds} traffic rounds");
        console.WriteLine($"traffic: {report.Sampling}");
        if (report.Adapters is { } adapters && adapters.TrustDomain != Commands.DrillCommand.Domain)
        {
            console.WriteLine($"adapters: vault {adapters.Vault}, store {adapters.Store}, events {adapters.Events}; trust domain {adapters.TrustDomain}");
        }

        if (report.Events is { } events)
        {
            console.WriteLine($"events: {events.Published} published, {events.Parked} parked, {events.Pending} pending, {events.Attempts} request(s) ({events.FailedAttempts} failed), {events.PublishMs} ms publishing"
                + (events.Error is { } refused ? $"; stopped: {refused}" : ""));
        }

        if (report.GateRelease.Gates.Count > 0)
        {
            var gates = report.GateRelease;
            console.WriteLine($"gates released {gates.P50Ms} ms (p50), {gates.MaxMs} ms (max) after their evidence was in place (goal {gates.GoalMs} ms): "
                + string.Join(", ", gates.Gates.Select(g => $"{g.Phase} {g.ReleaseLagMs} ms")));
        }

        if (report.LeafTtlMs > 0)
        {
            console.WriteLine($"workload leaves live {report.LeafTtlMs / 1000.0:0.#} s");
        }

        foreach (var example in report.FailureExamples.Take(5))
        {
            console.WriteLine($"  {example}");
        }

        if (report.Error is { } error)
        {
            console.MarkupLineInterpolated($"[red]rotation error:[/] {error}");
        }

        var renewals = report.Renewals;
        console.WriteLine($"leaf renewals: {renewals.Renewals}, latest {renewals.WorstLateMs} ms after its clock, {renewals.AfterExpiry} after their leaf expired");
        if (!report.Valid)
        {
            console.MarkupLineInterpolated($"[yellow]INVALID[/]: the machine starved the simulation: {renewals.AfterExpiry} leaf renewals came after their leaf had expired (worst {renewals.WorstWorkload}, {renewals.WorstLateMs} ms late), so {report.TotalFailures} failed handshakes prove nothing; run a smaller estate, a longer --leaf-ttl, or on a less busy machine.");
            return;
        }

        console.MarkupLine(report.Passed
            ? $"[green]PASSED[/]: {report.TotalHandshakes} handshakes, 0 failed."
            : $"[red]FAILED[/]: {report.TotalFailures} of {report.TotalHandshakes} handshakes failed.");
    }
}

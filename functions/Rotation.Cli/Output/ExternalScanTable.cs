using Rotation.Core.Authorities.External;
using Rotation.Core.Metrics;
using Spectre.Console;

namespace Rotation.Cli.Output;

/// <summary>`rotation scan --bundle|--cluster` as a table: every certificate found, its layer and expiry state, and where it was read.</summary>
public static class ExternalScanTable
{
    public static void Render(IAnsiConsole console, DateTimeOffset at, ExternalScanResult result)
    {
        var table = new Table().AddColumns("Layer", "Object", "Subject", "Expires", "Time left", "State", "Rotation due");
        foreach (var row in result.Rows)
        {
            table.AddRow(
                row.Layer.ToLabel(),
                Markup.Escape(row.Subject),
                Markup.Escape(row.Certificate.Subject),
                TimeText.Instant(row.Certificate.NotAfter),
                TimeText.Left(row.Assessment.TimeLeft),
                TimeText.StateMarkup(row.Assessment.State),
                row.Assessment.RotationDue ? "[yellow]yes[/]" : "no");
        }

        console.Write(table);
        if (result.Events.Count == 0)
            console.MarkupLineInterpolated($"{result.Rows.Count} certificate(s), none needs attention as of {TimeText.Instant(at)}; nothing was adopted.");
        else
            console.MarkupLineInterpolated($"{result.Rows.Count} certificate(s), {result.Events.Count} event(s) as of {TimeText.Instant(at)}, recorded in the outbox; nothing was adopted.");
    }
}

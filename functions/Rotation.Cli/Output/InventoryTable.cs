using Rotation.Core.Authorities;
using Spectre.Console;

namespace Rotation.Cli.Output;

/// <summary>The inventory as a table: one row per CA, expiry state coloured.</summary>
public static class InventoryTable
{
    private const int FingerprintDigits = 16;

    public static void Render(IAnsiConsole console, IReadOnlyList<CaInventoryRow> rows)
    {
        if (rows.Count == 0)
        {
            console.MarkupLine("No trust domain yet. Create one with 'rotation init --domain <name>'.");
            return;
        }

        var table = new Table()
            .AddColumns("Domain", "Role", "Id", "Status", "Subject", "Expires", "Time left", "Lifetime left", "Expiry", "SHA-256");
        foreach (var row in rows)
        {
            table.AddRow(
                Markup.Escape(row.Domain),
                row.Role.ToString().ToLowerInvariant(),
                Markup.Escape(row.Id),
                row.Status.ToString().ToLowerInvariant(),
                Markup.Escape(row.Subject),
                TimeText.Instant(row.NotAfter),
                TimeText.Left(row.TimeLeft),
                TimeText.Percent(row.LifetimeLeftPercent),
                TimeText.StateMarkup(row.ExpiryState) + (row.RotationDue ? " [yellow](rotation due)[/]" : string.Empty),
                $"{row.Sha256[..FingerprintDigits]}…");
        }

        console.Write(table);
        foreach (var row in rows)
        {
            foreach (var deviation in row.StrictDeviations)
            {
                console.MarkupLineInterpolated($"[yellow]warning[/]: {row.Domain} {row.Id}: {deviation.Text}; openssl verify -x509_strict refuses it (error {deviation.OpensslError})");
            }
        }
    }
}

using Rotation.Core.Authorities;
using Spectre.Console;

namespace Rotation.Cli.Output;

/// <summary>The inventory as a table: one row per CA, expiry state coloured.</summary>
public static class InventoryTable
{
    private const int FingerprintDigits = 16;

    /// <summary>Columns given up, in this order, until the table fits the terminal without splitting a cell.</summary>
    private static readonly string[] Expendable = ["Subject", "Domain", "SHA-256", "Status"];

    private static readonly string[] AllColumns = ["Domain", "Role", "Id", "Status", "Subject", "Expires", "Time left", "Lifetime left", "Expiry", "SHA-256"];

    public static void Render(IAnsiConsole console, IReadOnlyList<CaInventoryRow> rows)
    {
        if (rows.Count == 0)
        {
            console.MarkupLine("No trust domain yet. Create one with 'rotation init --domain <name>'.");
            return;
        }

        var domains = rows.Select(r => r.Domain).Distinct(StringComparer.Ordinal).ToList();
        var (table, omitted) = Fitting(console, rows, singleDomain: domains.Count == 1);
        if (omitted.Remove("Domain"))
        {
            console.MarkupLineInterpolated($"Trust domain {domains[0]}");
        }

        console.Write(table);
        FittingTable.NoteOmitted(console, omitted);

        foreach (var row in rows)
        {
            foreach (var deviation in row.StrictDeviations)
            {
                console.MarkupLineInterpolated($"[yellow]warning[/]: {row.Domain} {row.Id}: {deviation.Text}; openssl verify -x509_strict refuses it (error {deviation.OpensslError})");
            }
        }
    }

    /// <summary>The richest table whose natural width fits the console (<see cref="FittingTable{TRow}"/>).</summary>
    private static (Table Table, List<string> Omitted) Fitting(IAnsiConsole console, IReadOnlyList<CaInventoryRow> rows, bool singleDomain) =>
        new FittingTable<CaInventoryRow>(AllColumns, Cell)
        {
            Expendable = Expendable,
            // A Domain column is only worth keeping when there are several; one is named above the table.
            MayOmit = column => column != "Domain" || singleDomain,
        }.Fit(console, rows);

    private static string Cell(CaInventoryRow row, string column) => column switch
    {
        "Domain" => Markup.Escape(row.Domain),
        "Role" => row.Role.ToString().ToLowerInvariant(),
        "Id" => Markup.Escape(row.Id),
        "Status" => row.Status.ToString().ToLowerInvariant(),
        "Subject" => Markup.Escape(row.Subject),
        "Expires" => TimeText.Instant(row.NotAfter),
        "Time left" => TimeText.Left(row.TimeLeft),
        "Lifetime left" => TimeText.Percent(row.LifetimeLeftPercent),
        "Expiry" => TimeText.StateMarkup(row.ExpiryState) + (row.RotationDue ? " [yellow](rotation due)[/]" : string.Empty),
        _ => $"{row.Sha256[..FingerprintDigits]}…",
    };
}

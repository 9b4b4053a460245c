using System.Xml;
using Rotation.Core.Authorities;

namespace Rotation.Cli.Output;

/// <summary>The inventory as `--json` prints it; a stable contract for scripts.</summary>
public static class InventoryJson
{
    public static void Write(TextWriter output, IReadOnlyList<CaInventoryRow> rows) =>
        CliJson.Write(output, Items(rows));

    /// <summary>The rows as inventory --json shapes them, for commands that report CAs (init, adopt).</summary>
    public static IReadOnlyList<object> Items(IReadOnlyList<CaInventoryRow> rows) => rows.Select(ToItem).ToList<object>();

    private static Item ToItem(CaInventoryRow row) => new(
        row.Domain,
        row.Id,
        row.Role.ToString().ToLowerInvariant(),
        row.Status.ToString().ToLowerInvariant(),
        row.Subject,
        row.Issuer,
        row.NotBefore,
        row.NotAfter,
        XmlConvert.ToString(row.TimeLeft),
        Math.Round(row.LifetimeLeftPercent, 2),
        ExpiryEvents.StateName(row.ExpiryState),
        row.RotationDue,
        row.Sha256,
        row.KeyAlgorithm,
        row.StrictDeviations.Select(d => new Deviation(d.Code, d.OpensslError, d.Text)).ToList());

    private sealed record Item(
        string Domain,
        string Id,
        string Role,
        string Status,
        string Subject,
        string Issuer,
        DateTimeOffset NotBefore,
        DateTimeOffset NotAfter,
        string TimeLeft,
        double LifetimeLeftPercent,
        string ExpiryState,
        bool RotationDue,
        string Sha256,
        string KeyAlgorithm,
        IReadOnlyList<Deviation> StrictDeviations);

    private sealed record Deviation(string Code, int OpensslError, string Text);
}

using Spectre.Console;
using Spectre.Console.Rendering;

namespace Rotation.Cli.Output;

/// <summary>
/// A table that fits the console without splitting an id: columns are given up in a stated order until its natural
/// width fits, and only then may the free-text columns named wrappable wrap. Spectre would otherwise shrink every
/// column, splitting ids and timestamps over two lines, which neither a reader nor grep can use. Piped output has
/// a width no table reaches (<see cref="Consoles"/>), so there nothing is left out or wrapped.
/// </summary>
public sealed class FittingTable<TRow>
{
    private readonly string[] _columns;
    private readonly Func<TRow, string, string> _cell;

    /// <param name="cell">The markup of a row's cell in the named column.</param>
    public FittingTable(string[] columns, Func<TRow, string, string> cell)
    {
        _columns = columns;
        _cell = cell;
    }

    /// <summary>Columns given up, in this order, while the table is too wide.</summary>
    public IReadOnlyList<string> Expendable { get; init; } = [];

    /// <summary>Columns that may wrap as a last resort, when giving up columns was not enough.</summary>
    public IReadOnlyList<string> Wrappable { get; init; } = [];

    /// <summary>Says whether a column may be given up for these rows (e.g. a Domain column when there is one domain).</summary>
    public Func<string, bool> MayOmit { get; init; } = _ => true;

    public (Table Table, List<string> Omitted) Fit(IAnsiConsole console, IReadOnlyList<TRow> rows)
    {
        var options = RenderOptions.Create(console);
        var omitted = new List<string>();
        var table = Build(rows, omitted, wrap: false);
        foreach (var column in Expendable)
        {
            if (Fits(table, options, console))
            {
                return (table, omitted);
            }

            if (!MayOmit(column))
            {
                continue;
            }

            omitted.Add(column);
            table = Build(rows, omitted, wrap: false);
        }

        return (Fits(table, options, console) ? table : Build(rows, omitted, wrap: true), omitted);
    }

    /// <summary>Fits, writes the table, and notes what was left out.</summary>
    public void Write(IAnsiConsole console, IReadOnlyList<TRow> rows)
    {
        var (table, omitted) = Fit(console, rows);
        console.Write(table);
        FittingTable.NoteOmitted(console, omitted);
    }

    private static bool Fits(Table table, RenderOptions options, IAnsiConsole console) =>
        ((IRenderable)table).Measure(options, int.MaxValue).Max <= console.Profile.Width;

    private Table Build(IReadOnlyList<TRow> rows, List<string> omitted, bool wrap)
    {
        var columns = _columns.Except(omitted).ToArray();
        var table = new Table();
        foreach (var column in columns)
        {
            var tableColumn = new TableColumn(column);
            if (!wrap || !Wrappable.Contains(column))
            {
                tableColumn.NoWrap();
            }

            table.AddColumn(tableColumn);
        }

        foreach (var row in rows)
        {
            table.AddRow(columns.Select(column => _cell(row, column)).ToArray());
        }

        return table;
    }
}

/// <summary>The note under a table that gave up columns.</summary>
public static class FittingTable
{
    public static void NoteOmitted(IAnsiConsole console, IReadOnlyList<string> omitted)
    {
        if (omitted.Count > 0)
        {
            console.MarkupLineInterpolated($"[grey]{string.Join(", ", omitted)} left out to fit {console.Profile.Width} columns; --json has every field[/]");
        }
    }
}

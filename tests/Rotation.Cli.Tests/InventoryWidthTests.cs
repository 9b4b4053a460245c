using System.Text.RegularExpressions;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>The inventory table on a 100-column terminal and through a pipe: no cell split over two lines.</summary>
public sealed partial class InventoryWidthTests : IDisposable
{
    // A long domain makes long subjects: the case where the table used to wrap.
    private const string Domain = "payments-eu-west.mesh.platform.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli-width");
    private readonly CliRunner _cli;

    public InventoryWidthTests() => _cli = new CliRunner(_temp.File("home"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task At_100_columns_every_line_fits_and_every_id_is_whole()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var ids = await IdsAsync();
        _cli.TerminalWidth = 100;

        var lines = Lines((await _cli.SucceedAsync("inventory")).StdOut);

        Assert.All(lines, line => Assert.True(line.Length <= 100, $"{line.Length} columns: {line}"));
        Assert.All(ids, id => Assert.Contains(lines, line => line.Contains(id, StringComparison.Ordinal)));
        Assert.Contains($"Trust domain {Domain}", lines);
        Assert.Contains(lines, line => line.Contains("left out to fit 100 columns; --json has every field", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("UTC", StringComparison.Ordinal) && line.Contains("ok", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wide_terminal_shows_every_column()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        _cli.TerminalWidth = 300;

        var output = (await _cli.SucceedAsync("inventory")).StdOut;

        Assert.Contains("Subject", output);
        Assert.Contains("SHA-256", output);
        Assert.DoesNotContain("left out", output);
    }

    [Fact]
    public async Task Piped_output_keeps_each_row_on_one_line()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var ids = await IdsAsync();

        var lines = Lines((await _cli.SucceedAsync("inventory")).StdOut);

        foreach (var id in ids)
        {
            var row = Assert.Single(lines, line => line.Contains(id, StringComparison.Ordinal));
            Assert.Contains($"O={Domain}", row);
            Assert.Contains("…", row);
        }
    }

    private async Task<List<string>> IdsAsync()
    {
        var json = (await _cli.SucceedAsync("inventory", "--json")).StdOut;
        return IdPattern().Matches(json).Select(m => m.Groups[1].Value).Distinct().ToList();
    }

    private static string[] Lines(string text) =>
        AnsiEscape().Replace(text, string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [GeneratedRegex("\"id\":\\s*\"((?:root|int)-[0-9a-f]+)\"")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex AnsiEscape();
}

using Rotation.Cli.Parsing;

namespace Rotation.Cli.Tests;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("10y", 3650 * 24 * 3600L)]
    [InlineData("1y", 365 * 24 * 3600L)]
    [InlineData("90d", 90 * 24 * 3600L)]
    [InlineData("24h", 24 * 3600L)]
    [InlineData("30m", 30 * 60L)]
    [InlineData("45s", 45L)]
    [InlineData("1d12h", 36 * 3600L)]
    [InlineData("2H", 2 * 3600L)]
    [InlineData("1m30s", 90L)]
    public void Parses_a_number_and_a_unit(string text, long seconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration, out var error), error);
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("y")]
    [InlineData("10x")]
    [InlineData("1.5d")]
    [InlineData("-1d")]
    [InlineData("10 d")]
    [InlineData("0s")]
    [InlineData("99999999999y")]
    [InlineData("0ms")]
    [InlineData("5mss")]
    public void Refuses_anything_else_with_a_hint(string text)
    {
        Assert.False(DurationParser.TryParse(text, out _, out var error));
        Assert.Contains("e.g. 10y, 90d, 24h, 30m", error);
        Assert.DoesNotContain('\n', error);
    }

    [Theory]
    [InlineData("200ms", 200L)]
    [InlineData("1s500ms", 1500L)]
    [InlineData("5m30MS", 300_030L)]
    public void Parses_milliseconds_for_short_gate_retries(string text, long milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Fact]
    public void Formats_sub_second_rests_as_milliseconds() =>
        Assert.Equal("1s500ms", DurationParser.Format(TimeSpan.FromMilliseconds(1500)));

    [Theory]
    [InlineData(3650 * 24 * 3600L, "10y")]
    [InlineData(36 * 3600L, "1d12h")]
    [InlineData(90L, "1m30s")]
    public void Formats_back_to_the_shortest_exact_spelling(long seconds, string expected) =>
        Assert.Equal(expected, DurationParser.Format(TimeSpan.FromSeconds(seconds)));
}

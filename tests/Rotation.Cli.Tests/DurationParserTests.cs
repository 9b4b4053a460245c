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
    public void Parses_a_number_and_a_unit(string text, long seconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration, out var error), error);
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("100ms", 100L)]
    [InlineData("1s500ms", 1500L)]
    [InlineData("1m5ms", 60_005L)]
    public void Parses_milliseconds(string text, long milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Fact]
    public void A_sub_second_duration_round_trips_through_its_formatted_spelling() =>
        Assert.Equal(TimeSpan.FromMilliseconds(250), DurationParser.Parse(DurationParser.Format(TimeSpan.FromMilliseconds(250))));

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("y")]
    [InlineData("10x")]
    [InlineData("1.5d")]
    [InlineData("-1d")]
    [InlineData("10 d")]
    [InlineData("0s")]
    [InlineData("0ms")]
    [InlineData("10mss")]
    [InlineData("99999999999y")]
    public void Refuses_anything_else_with_a_hint(string text)
    {
        Assert.False(DurationParser.TryParse(text, out _, out var error));
        Assert.Contains("e.g. 10y, 90d, 24h, 30m", error);
        Assert.DoesNotContain('\n', error);
    }

    [Theory]
    [InlineData(3650 * 24 * 3600L, "10y")]
    [InlineData(36 * 3600L, "1d12h")]
    [InlineData(90L, "1m30s")]
    public void Formats_back_to_the_shortest_exact_spelling(long seconds, string expected) =>
        Assert.Equal(expected, DurationParser.Format(TimeSpan.FromSeconds(seconds)));
}

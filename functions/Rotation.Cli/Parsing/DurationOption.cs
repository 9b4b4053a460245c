using System.CommandLine;

namespace Rotation.Cli.Parsing;

/// <summary>A duration option and the default it stands for when omitted.</summary>
public sealed class DurationOption
{
    public DurationOption(Option<TimeSpan?> option, TimeSpan defaultValue)
    {
        Option = option;
        Default = defaultValue;
    }

    public Option<TimeSpan?> Option { get; }
    public TimeSpan Default { get; }

    public TimeSpan ValueOf(ParseResult parseResult) => parseResult.GetValue(Option) ?? Default;
}

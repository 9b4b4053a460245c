using System.CommandLine;
using System.CommandLine.Parsing;
using Rotation.Core.Rotations;

namespace Rotation.Cli.Parsing;

/// <summary>Arguments and options of the rotation commands.</summary>
public static class RotationOptions
{
    public static Argument<string> Id() => new("ID")
    {
        Description = "The rotation id, e.g. rot-20261123101500-a1b2c3 (see 'rotation status')",
    };

    public static DurationOption Wait() => CliOptions.Duration(
        "--wait",
        "Longest wait for a gate in this process; past it the rotation is parked for 'rotation resume'",
        "5m");

    /// <summary>The mesh's longest workload certificate lifetime: the leaf gate's time rule waits it out where leaves are not observable.</summary>
    public static DurationOption MaxLeafTtl() => CliOptions.Duration(
        "--max-leaf-ttl",
        "Longest workload leaf lifetime in the estate (Istio's default is 24h); the leaf gate waits it out where leaves cannot be observed",
        "24h");

    public static DurationOption LeafGrace() => CliOptions.Duration(
        "--leaf-grace",
        "Added to --max-leaf-ttl for clock skew, propagation and stragglers",
        "1h");

    public static DurationOption GateRetry() => CliOptions.Duration(
        "--gate-retry",
        "First wait after a gate holds; doubles per attempt up to 10m",
        "30s");

    public static Option<RotationPhase?> Phase() => new("--phase")
    {
        Description = "The phase, e.g. RetireOldRoot or retire-old-root (default: the current phase)",
        HelpName = "PHASE",
        CustomParser = ParsePhase,
    };

    private static RotationPhase? ParsePhase(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (Enum.TryParse<RotationPhase>(text.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var phase)
            && Enum.IsDefined(phase)
            && !char.IsAsciiDigit(text.FirstOrDefault()))
        {
            return phase;
        }

        result.AddError($"--phase: unknown phase '{text}': use one of {string.Join(", ", Enum.GetNames<RotationPhase>())}");
        return null;
    }
}

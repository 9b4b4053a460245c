using Rotation.Cli.Output;

namespace Rotation.Cli;

/// <summary>
/// With --json a failure is also an object on stdout, so a script that parses stdout gets JSON either way:
/// {"error": {"exitCode": 2, "kind": "usage", "message": "..."}} (docs/schemas/error.schema.json). The one
/// "error: ..." line on stderr and the exit code stay exactly as without --json.
/// </summary>
public static class JsonErrorReport
{
    public const string Option = "--json";

    /// <summary>Whether the command line asked for JSON; read from the words, so even a line that does not parse answers in JSON.</summary>
    public static bool Requested(IReadOnlyList<string> args) => args.Contains(Option, StringComparer.Ordinal);

    public static void Write(TextWriter output, int exitCode, string message) =>
        CliJson.Write(output, new Body(new Detail(exitCode, Kind(exitCode), message)));

    public static string Kind(int exitCode) => exitCode switch
    {
        ExitCodes.Usage => "usage",
        ExitCodes.Unsafe => "refused",
        ExitCodes.ChainInvalid => "invalid",
        _ => "failure",
    };

    private sealed record Body(Detail Error);

    private sealed record Detail(int ExitCode, string Kind, string Message);
}

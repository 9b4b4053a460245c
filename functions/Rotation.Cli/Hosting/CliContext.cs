using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Cli;

/// <summary>
/// What a command may touch of its process: output, error, environment and clock. Tests run the real command
/// tree in-process with their own writers, environment and fake clock, without touching process-wide state.
/// </summary>
public sealed class CliContext
{
    public const string HomeVariable = "ROTATION_HOME";
    public const string PassphraseVariable = "ROTATION_VAULT_PASSPHRASE";
    public const string DefaultHome = ".rotation";

    public CliContext(TextWriter output, TextWriter error, Func<string, string?> environment, TimeProvider time)
    {
        Output = output;
        Error = error;
        Environment = environment;
        Time = time;
    }

    public TextWriter Output { get; }
    public TextWriter Error { get; }
    public Func<string, string?> Environment { get; }
    public TimeProvider Time { get; }

    /// <summary>Whether Output is a terminal that can take colour (false when redirected or under test).</summary>
    public bool OutputIsTerminal { get; init; }

    /// <summary>The terminal's width in columns when Output is a terminal; null lets the console decide.</summary>
    public int? TerminalWidth { get; init; }

    /// <summary>Replaces the registered clusters as the targets of rotations (tests, the drill's simulated estate).</summary>
    public ITargetResolver? Targets { get; init; }

    /// <summary>--vault, --store, --events of the command line being run (set by CliApp after parsing).</summary>
    public AdapterFlags Flags { get; set; } = AdapterFlags.None;

    /// <summary>The one credential for every Azure client; null means managed identity (AZURE_CLIENT_ID) or DefaultAzureCredential.</summary>
    public Azure.Core.TokenCredential? AzureCredential { get; init; }

    /// <summary>Applied to the Key Vault clients' options (tests: the test server's transport); null in production.</summary>
    public Action<Azure.Core.ClientOptions>? ConfigureKeyVaultClient { get; init; }

    /// <summary>Applied to the Event Grid publisher client's options (tests: the test topic's transport); null in production.</summary>
    public Action<Azure.Core.ClientOptions>? ConfigureEventGridClient { get; init; }

    /// <summary>Folders the running command made for itself; removed by CliApp if a signal's grace runs out.</summary>
    public ThrowawayFolders Throwaway { get; } = new();

    /// <summary>Who asked, for approvals and the audit trail.</summary>
    public string User => Environment("USER") is { Length: > 0 } user ? user : "cli";

    public static CliContext FromProcess() =>
        new(Console.Out, Console.Error, System.Environment.GetEnvironmentVariable, TimeProvider.System)
        {
            OutputIsTerminal = !Console.IsOutputRedirected,
            TerminalWidth = Console.IsOutputRedirected ? null : ConsoleWidth(),
        };

    private static int? ConsoleWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>--home, else ROTATION_HOME, else ./.rotation.</summary>
    public string ResolveHome(string? option)
    {
        var home = !string.IsNullOrWhiteSpace(option) ? option
            : Environment(HomeVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : DefaultHome;
        return Path.GetFullPath(home);
    }
}

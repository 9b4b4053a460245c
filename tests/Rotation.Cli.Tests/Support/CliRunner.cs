using Microsoft.Extensions.Time.Testing;

namespace Rotation.Cli.Tests.Support;

/// <summary>
/// Runs the real command tree in-process against a temp home, with captured output, its own environment and
/// a fake clock, so tests can run in parallel without sharing process-wide state.
/// </summary>
public sealed class CliRunner
{
    public static readonly DateTimeOffset Epoch = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public CliRunner(string home)
    {
        Home = home;
    }

    public string Home { get; }

    public FakeTimeProvider Time { get; } = new(Epoch);

    /// <summary>The clock commands see; null means <see cref="Time"/>. Real clusters need real time: their gates wait in earnest.</summary>
    public TimeProvider? Clock { get; set; }

    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal)
    {
        [CliContext.PassphraseVariable] = "correct horse battery staple",
    };

    /// <summary>The targets rotations fan out to; null means the registered clusters, as in production.</summary>
    public Rotation.Core.Ports.ITargetResolver? Targets { get; set; }

    /// <summary>The credential and Key Vault transport commands use with --vault keyvault:… (the Key Vault test server).</summary>
    public Azure.Core.TokenCredential? AzureCredential { get; set; }

    public Action<Azure.Core.ClientOptions>? ConfigureKeyVaultClient { get; set; }

    /// <summary>The Event Grid client's transport for --events eventgrid:… (the Event Grid test server).</summary>
    public Action<Azure.Core.ClientOptions>? ConfigureEventGridClient { get; set; }

    /// <summary>Columns of a simulated terminal; null means output is redirected (a pipe), as under test by default.</summary>
    public int? TerminalWidth { get; set; }

    /// <summary>Runs `rotation --home HOME args...`.</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunRawAsync(["--home", Home, .. args]);

    /// <summary>Runs `rotation args...` with no --home added.</summary>
    public async Task<CliResult> RunRawAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(output, error, name => Environment.GetValueOrDefault(name), Clock ?? Time)
        {
            Targets = Targets,
            AzureCredential = AzureCredential,
            ConfigureKeyVaultClient = ConfigureKeyVaultClient,
            ConfigureEventGridClient = ConfigureEventGridClient,
            OutputIsTerminal = TerminalWidth is not null,
            TerminalWidth = TerminalWidth,
        };
        var exitCode = await CliApp.RunAsync(args, context);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Runs and fails the test with the full output unless the command succeeded.</summary>
    public async Task<CliResult> SucceedAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"rotation {string.Join(' ', args)} failed: {result}");
        return result;
    }
}

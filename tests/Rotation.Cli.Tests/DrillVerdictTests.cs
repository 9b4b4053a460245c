using Rotation.Cli.Commands;
using Rotation.Cli.Output;
using Rotation.Drill.Drills;
using Rotation.Drill.Estate;
using Spectre.Console;

namespace Rotation.Cli.Tests;

/// <summary>The drill's verdict line and exit code: an invalid run (starved machine) is neither passed nor failed.</summary>
public sealed class DrillVerdictTests
{
    [Fact]
    public void A_starved_run_is_invalid_with_exit_5_even_with_failed_handshakes()
    {
        var report = Report(failures: 7, afterExpiry: 3);

        var text = Render(report);

        Assert.Equal(ExitCodes.DrillInvalid, DrillCommand.ExitCodeFor(report));
        Assert.Contains("INVALID: the machine starved the simulation: 3 leaf renewals came after their leaf had expired", text, StringComparison.Ordinal);
        Assert.Contains("cluster-02/workload-07, 4200 ms late", text, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILED", text, StringComparison.Ordinal);
        Assert.DoesNotContain("PASSED", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_run_with_a_failed_handshake_stays_a_failure_and_a_clean_one_passes()
    {
        var failed = Report(failures: 1, afterExpiry: 0);
        var clean = Report(failures: 0, afterExpiry: 0);

        Assert.Equal(ExitCodes.Unsafe, DrillCommand.ExitCodeFor(failed));
        Assert.Contains("FAILED: 1 of 100 handshakes failed.", Render(failed), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, DrillCommand.ExitCodeFor(clean));
        Assert.Contains("PASSED: 100 handshakes, 0 failed.", Render(clean), StringComparison.Ordinal);
        Assert.Contains("leaf renewals: 40, latest 4200 ms after its clock, 0 after their leaf expired", Render(clean), StringComparison.Ordinal);
    }

    private static DrillReport Report(long failures, long afterExpiry) => new()
    {
        TotalHandshakes = 100,
        TotalFailures = failures,
        Phases = [],
        WallMs = 1000,
        MandatoryWaitMs = 600,
        OverheadMs = 400,
        Clusters = 2,
        Workloads = 20,
        Sampling = "all pairs",
        OpenSslHandshakes = 3,
        Rounds = 4,
        Renewals = new RenewalLatenessReport(40, afterExpiry, 4200, "cluster-02/workload-07"),
    };

    private static string Render(DrillReport report)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        DrillView.Render(console, new DrillResult(report, null), NegativeControl.NaiveSwap);
        return writer.ToString();
    }
}

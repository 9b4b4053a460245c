using System.Text.Json;
using System.Text.RegularExpressions;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Rotations;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>The rotation commands over the real engine, SQLite home and vault, against an in-process mesh.</summary>
public sealed partial class RotationCommandTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli");
    private readonly CliRunner _cli;
    private readonly SimulatedMesh _mesh;

    public RotationCommandTests()
    {
        _cli = new CliRunner(_temp.File("home"));
        _mesh = new SimulatedMesh("prod-west/istio", _cli.Time, "web", "api");
        _cli.Targets = _mesh;
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task An_intermediate_rotation_runs_to_its_approval_then_completes_on_resume()
    {
        await InitAndSeedAsync();
        var oldIntermediate = (await Homes.InventoryAsync(_cli.Home, Domain)).ActiveIntermediate;

        var rotate = await _cli.SucceedAsync("rotate", "intermediate");
        var id = RotationId(rotate);
        Assert.Contains("phase   SwitchIssuer", rotate.StdOut);
        Assert.Contains("target prod-west/istio: done", rotate.StdOut);
        Assert.Contains($"RetireOldIntermediate needs an approval. Run 'rotation approve {id} --phase RetireOldIntermediate'", rotate.StdOut);
        var switched = (await Homes.InventoryAsync(_cli.Home, Domain)).ActiveIntermediate;
        Assert.NotEqual(oldIntermediate.Id, switched.Id);
        Assert.Equal(switched.Certificate, _mesh.IssuerCertificate);

        var approve = await _cli.SucceedAsync("approve", id, "--phase", "retire-old-intermediate");
        var resume = await _cli.SucceedAsync("resume", id);

        Assert.Contains("Approved RetireOldIntermediate", approve.StdOut);
        Assert.Contains($"completed {id}", resume.StdOut);
        var after = await Homes.InventoryAsync(_cli.Home, Domain);
        Assert.Equal(CaStatus.Retired, after.Find(oldIntermediate.Id)!.Status);
        Assert.Equal(switched.Id, after.ActiveIntermediate.Id);
        var outbox = (await Homes.Store(_cli.Home).ReadOutboxAsync()).Select(e => e.Event.Type).ToList();
        Assert.Contains(EventTypes.RotationCompleted, outbox);
        Assert.Contains(EventTypes.ApprovalRequired, outbox);
    }

    [Fact]
    public async Task Status_lists_rotations_and_shows_one_in_detail_and_as_json()
    {
        await InitAndSeedAsync();
        var id = RotationId(await _cli.SucceedAsync("rotate", "intermediate"));

        var list = await _cli.SucceedAsync("status");
        var detail = await _cli.SucceedAsync("status", id);
        var json = await _cli.SucceedAsync("status", id, "--json");

        Assert.Contains(id, list.StdOut);
        Assert.Contains("RetireOldIntermediate", list.StdOut);
        Assert.Matches(@"Prepare\s+│\s+done", detail.StdOut);
        Assert.Matches(@"RetireOldIntermediate\s+│\s+current", detail.StdOut);
        Assert.Contains("prod-west/istio", detail.StdOut);
        using var document = JsonDocument.Parse(json.StdOut);
        Assert.Equal(id, document.RootElement.GetProperty("id").GetString());
        Assert.Equal(3, document.RootElement.GetProperty("phaseIndex").GetInt32());
    }

    [Fact]
    public async Task A_dry_run_lists_the_phases_and_targets_and_changes_nothing()
    {
        await InitAndSeedAsync();
        var before = HomeSnapshot.Take(_cli.Home);

        var result = await _cli.SucceedAsync("rotate", "root", "--dry-run");

        foreach (var phase in RotationPlans.For(RotationKind.Root))
        {
            Assert.Contains(phase.ToString(), result.StdOut);
        }

        Assert.Contains("target prod-west/istio", result.StdOut);
        Assert.Contains("nothing was changed", result.StdOut);
        before.AssertUnchanged(_cli.Home);
        Assert.Empty(await Homes.Store(_cli.Home).ListRotationsAsync());
    }

    [Fact]
    public async Task Without_targets_a_rotation_is_refused_in_one_line_and_nothing_changes()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        _cli.Targets = null;
        var before = HomeSnapshot.Take(_cli.Home);

        var result = await _cli.RunAsync("rotate", "root");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("has no targets", Assert.Single(result.ErrorLines));
        before.AssertUnchanged(_cli.Home);
    }

    [Fact]
    public async Task A_switch_that_would_break_a_straggler_is_refused_with_exit_code_3()
    {
        await InitAndSeedAsync();
        var oldIntermediate = (await Homes.InventoryAsync(_cli.Home, Domain)).ActiveIntermediate;
        var rotate = await _cli.SucceedAsync("rotate", "root", "--approve-each-phase");
        var id = RotationId(rotate);
        foreach (var phase in new[] { "Prepare", "DistributeTrust", "VerifyTrust" })
        {
            await _cli.SucceedAsync("approve", id, "--phase", phase);
        }

        await _cli.SucceedAsync("resume", id);
        // A namespace that lost the new root after the trust gate passed: issuing from the new CA would break it.
        _mesh.Pin("api", [(await Homes.InventoryAsync(_cli.Home, Domain)).ActiveRoot.Sha256]);
        await _cli.SucceedAsync("approve", id, "--phase", "SwitchIssuer");

        var refused = await _cli.RunAsync("resume", id);

        Assert.Equal(3, refused.ExitCode);
        var line = Assert.Single(refused.ErrorLines);
        Assert.StartsWith("error: refusing to issue from", line);
        Assert.EndsWith($"fix the estate, then 'rotation resume {id}', or 'rotation abort {id}'", line);
        var record = await Homes.Store(_cli.Home).FindRotationAsync(id);
        Assert.Equal(RotationPhase.SwitchIssuer, record!.CurrentPhase);
        Assert.Equal(oldIntermediate.Certificate, _mesh.IssuerCertificate);
        Assert.Equal(oldIntermediate.Id, (await Homes.InventoryAsync(_cli.Home, Domain)).ActiveIntermediate.Id);
    }

    [Fact]
    public async Task A_holding_trust_gate_parks_the_rotation_and_resume_carries_on_once_the_store_catches_up()
    {
        await InitAndSeedAsync();
        var oldRoot = (await Homes.InventoryAsync(_cli.Home, Domain)).ActiveRoot;
        _mesh.Pin("api", [oldRoot.Sha256]);

        var rotate = await _cli.SucceedAsync("rotate", "root", "--wait", "1s");
        var id = RotationId(rotate);

        Assert.Contains("holding VerifyTrust", rotate.StdOut);
        Assert.Contains($"parked  {id} at VerifyTrust", rotate.StdOut);
        Assert.Equal(RotationPhase.VerifyTrust, (await Homes.Store(_cli.Home).FindRotationAsync(id))!.CurrentPhase);

        _mesh.Pin("api", _mesh.Bundle.Fingerprints);
        _cli.Time.Advance(TimeSpan.FromMinutes(1));
        var resume = await _cli.SucceedAsync("resume", id, "--wait", "1s");

        Assert.Contains("done    VerifyTrust", resume.StdOut);
        Assert.Contains($"RetireOldRoot needs an approval", resume.StdOut);
    }

    [Fact]
    public async Task Abort_before_the_point_of_no_return_unwinds_and_leaves_the_old_cas_active()
    {
        await InitAndSeedAsync();
        var before = await Homes.InventoryAsync(_cli.Home, Domain);
        var id = RotationId(await _cli.SucceedAsync("rotate", "root", "--approve-each-phase"));
        await _cli.SucceedAsync("approve", id, "--phase", "Prepare");
        await _cli.SucceedAsync("approve", id, "--phase", "DistributeTrust");
        await _cli.SucceedAsync("resume", id);

        var abort = await _cli.SucceedAsync("abort", id);

        Assert.Contains($"aborted {id}", abort.StdOut);
        var after = await Homes.InventoryAsync(_cli.Home, Domain);
        Assert.Equal(before.ActiveRoot.Id, after.ActiveRoot.Id);
        Assert.Equal(before.ActiveIntermediate.Id, after.ActiveIntermediate.Id);
        Assert.All(after.Authorities.Where(a => a.Id != before.ActiveRoot.Id && a.Id != before.ActiveIntermediate.Id), a => Assert.Equal(CaStatus.Retired, a.Status));
        Assert.Equal([before.ActiveRoot.Sha256], _mesh.Bundle.Fingerprints);
    }

    [Theory]
    [InlineData("approve", "rot-nope")]
    [InlineData("resume", "rot-nope")]
    [InlineData("abort", "rot-nope")]
    [InlineData("status", "rot-nope")]
    public async Task An_unknown_rotation_id_is_one_line_and_changes_nothing(string command, string id)
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var before = HomeSnapshot.Take(_cli.Home);

        var result = await _cli.RunAsync(command, id);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: no rotation '{id}': list rotations with 'rotation status'", Assert.Single(result.ErrorLines));
        before.AssertUnchanged(_cli.Home);
    }

    [Fact]
    public async Task An_unknown_phase_is_a_usage_error()
    {
        var result = await _cli.RunAsync("approve", "rot-x", "--phase", "Launch");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --phase: unknown phase 'Launch'", Assert.Single(result.ErrorLines));
    }

    private async Task InitAndSeedAsync()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        _mesh.Seed(await Homes.ActiveIssuerAsync(_cli.Home, Domain, _cli.Environment[CliContext.PassphraseVariable]!));
    }

    private static string RotationId(CliResult result) => RotationIdPattern().Match(result.StdOut).Value;

    [GeneratedRegex(@"rot-\d{14}-[0-9a-f]{6}")]
    private static partial Regex RotationIdPattern();
}

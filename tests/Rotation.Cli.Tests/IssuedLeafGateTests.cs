using System.Text.Json;
using System.Text.RegularExpressions;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Rotations;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// Issue 7 §6: the leaf gate held on nothing Rotation issued itself, so RetireOldRoot went ahead while two 72 h
/// leaves from issue-leaf under the old intermediate were live. Now issue-leaf records each leaf and the gate holds
/// on live ones, naming them, until they expire or the operator forgets them; status says what a parked rotation
/// waits for and until when.
/// </summary>
public sealed partial class IssuedLeafGateTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-leaf-gate");
    private readonly CliRunner _cli;
    private readonly SimulatedMesh _mesh;

    public IssuedLeafGateTests()
    {
        _cli = new CliRunner(_temp.File("home"));
        _mesh = new SimulatedMesh("prod-west/istio", _cli.Time, "web", "api");
        _cli.Targets = _mesh;
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Issue_leaf_records_serial_subject_sans_issuer_notAfter_and_path()
    {
        await InitAndSeedAsync();
        var intermediate = (await Homes.InventoryAsync(_cli.Home, Domain)).ActiveIntermediate;

        await _cli.SucceedAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/ns/default/sa/web", "--dns", "web.default.svc", "--ttl", "72h", "--out", _temp.File("web"));

        var leaf = Assert.Single(await Homes.Store(_cli.Home).ListIssuedLeavesAsync(Domain));
        var certificate = Rotation.Core.Pki.Certificate.FromPem(await File.ReadAllTextAsync(_temp.File("web/cert.pem")));
        Assert.Equal(certificate.SerialNumber, leaf.Serial);
        Assert.Equal(certificate.Subject, leaf.Subject);
        Assert.Equal(["DNS:web.default.svc", $"URI:spiffe://{Domain}/ns/default/sa/web"], leaf.SubjectAlternativeNames);
        Assert.Equal(intermediate.Id, leaf.IssuerId);
        Assert.Equal(certificate.NotAfter, leaf.NotAfter);
        Assert.Equal(CliRunner.Epoch.AddHours(72), leaf.NotAfter);
        Assert.Equal(_temp.File("web/cert.pem"), leaf.OutputPath);
        var list = await _cli.SucceedAsync("leaf", "list");
        Assert.Contains(leaf.Serial, list.StdOut);
        Assert.Contains("live (3d 0h left)", list.StdOut);
    }

    [Fact]
    public async Task Two_live_72h_leaves_under_the_old_intermediate_hold_the_leaf_gate_listing_both_until_they_expire()
    {
        await InitAndSeedAsync();
        var (web, api) = await IssueTwoLeavesAsync();

        var rotate = await _cli.SucceedAsync("rotate", "root", "--max-leaf-ttl", "2s", "--leaf-grace", "1s", "--wait", "1s");
        var id = RotationId(rotate);
        _cli.Time.Advance(TimeSpan.FromSeconds(10));
        var resume = await _cli.SucceedAsync("resume", id, "--wait", "1s");

        var record = (await Homes.Store(_cli.Home).FindRotationAsync(id))!;
        Assert.Equal(RotationPhase.VerifyLeaves, record.CurrentPhase);
        Assert.Contains("holding VerifyLeaves", resume.StdOut);
        var reason = record.Gate!.Reason;
        Assert.Contains("2 live leaf/leaves from 'rotation issue-leaf'", reason);
        foreach (var leaf in new[] { web, api })
        {
            Assert.Contains($"serial {leaf.Serial} ({leaf.Subject}, issued by {leaf.IssuerId}, notAfter {leaf.NotAfter:u})", reason);
        }

        Assert.Equal(CliRunner.Epoch.AddHours(72), record.Gate.NextCheckAt);

        // status: parked, not "running"; what it waits for, until when (UTC and relative), and why.
        var status = await _cli.SucceedAsync("status", id);
        Assert.Contains("parked", status.StdOut);
        Assert.Contains("waits for gate VerifyLeaves until 2026-03-04 09:00:00 UTC (in 2d 23h)", status.StdOut);
        Assert.Contains(web.Serial, status.StdOut);
        Assert.Contains(api.Serial, status.StdOut);
        var list = await _cli.SucceedAsync("status");
        Assert.Contains("parked", list.StdOut);
        Assert.Contains("gate VerifyLeaves until 2026-03-04 09:00:00 UTC", list.StdOut);
        using (var json = JsonDocument.Parse((await _cli.SucceedAsync("status", id, "--json")).StdOut))
        {
            var waiting = json.RootElement.GetProperty("waiting");
            Assert.Equal("gate", waiting.GetProperty("kind").GetString());
            Assert.Equal("verifyLeaves", waiting.GetProperty("phase").GetString());
            Assert.Equal(CliRunner.Epoch.AddHours(72), waiting.GetProperty("until").GetDateTimeOffset());
            Assert.Contains(web.Serial, waiting.GetProperty("reason").GetString());
        }

        // Still holding a day later; released once both have expired.
        _cli.Time.Advance(TimeSpan.FromHours(24));
        await _cli.SucceedAsync("resume", id, "--wait", "1s");
        Assert.Equal(RotationPhase.VerifyLeaves, (await Homes.Store(_cli.Home).FindRotationAsync(id))!.CurrentPhase);

        _cli.Time.Advance(TimeSpan.FromHours(48));
        var released = await _cli.SucceedAsync("resume", id, "--wait", "1s");

        Assert.Contains("done    VerifyLeaves", released.StdOut);
        Assert.Contains("RetireOldRoot needs an approval", released.StdOut);
        using var after = JsonDocument.Parse((await _cli.SucceedAsync("status", id, "--json")).StdOut);
        Assert.Equal("approval", after.RootElement.GetProperty("waiting").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task A_rotation_parked_on_a_holding_trust_gate_says_parked_what_it_waits_for_and_until_when()
    {
        // No issued leaf: a workload that never loads the new root holds VerifyTrust, and the gate's next check is
        // minutes away, so the rotation parks rather than "running".
        await InitAndSeedAsync();
        var oldRoot = (await Homes.InventoryAsync(_cli.Home, Domain)).ActiveRoot;
        _mesh.Pin("web", [oldRoot.Sha256]);
        var rotate = await _cli.SucceedAsync("rotate", "root", "--max-leaf-ttl", "2s", "--leaf-grace", "1s", "--wait", "1s");
        var id = RotationId(rotate);

        using var json = JsonDocument.Parse((await _cli.SucceedAsync("status", id, "--json")).StdOut);
        var waiting = json.RootElement.GetProperty("waiting");
        Assert.Equal("gate", waiting.GetProperty("kind").GetString());
        Assert.Equal("verifyTrust", waiting.GetProperty("phase").GetString());
        Assert.Contains("web", waiting.GetProperty("reason").GetString());
        var until = waiting.GetProperty("until").GetDateTimeOffset();
        Assert.True(until > _cli.Time.GetUtcNow(), $"waits until {until}, which is not later than now");

        var status = await _cli.SucceedAsync("status", id);
        Assert.Contains("parked", status.StdOut);
        Assert.DoesNotContain("running", status.StdOut);
        Assert.Contains($"waits for gate VerifyTrust until {until.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC (in ", status.StdOut);
    }

    [Fact]
    public async Task Forgetting_the_leaves_releases_the_gate_one_by_one_and_the_record_keeps_who_forgot()
    {
        await InitAndSeedAsync();
        var (web, api) = await IssueTwoLeavesAsync();
        var id = RotationId(await _cli.SucceedAsync("rotate", "root", "--max-leaf-ttl", "2s", "--leaf-grace", "1s", "--wait", "1s"));
        _cli.Time.Advance(TimeSpan.FromSeconds(10));
        await _cli.SucceedAsync("resume", id, "--wait", "1s");

        var forget = await _cli.SucceedAsync("leaf", "forget", web.Serial, "--by", "alice");
        _cli.Time.Advance(TimeSpan.FromMinutes(5));
        await _cli.SucceedAsync("resume", id, "--wait", "1s");

        Assert.Contains($"Forgot leaf {web.Serial}", forget.StdOut);
        var holding = (await Homes.Store(_cli.Home).FindRotationAsync(id))!;
        Assert.Equal(RotationPhase.VerifyLeaves, holding.CurrentPhase);
        Assert.Contains("1 live leaf/leaves", holding.Gate!.Reason);
        Assert.Contains(api.Serial, holding.Gate.Reason);
        Assert.DoesNotContain(web.Serial, holding.Gate.Reason);

        await _cli.SucceedAsync("leaf", "forget", api.Serial);
        var released = await _cli.SucceedAsync("resume", id, "--wait", "1s");

        Assert.Contains("done    VerifyLeaves", released.StdOut);
        var leaves = await Homes.Store(_cli.Home).ListIssuedLeavesAsync(Domain);
        Assert.Equal("alice", leaves.Single(l => l.Serial == web.Serial).ForgottenBy);
        Assert.EndsWith($"@{Environment.MachineName}", leaves.Single(l => l.Serial == api.Serial).ForgottenBy);
        Assert.Contains("forgotten", (await _cli.SucceedAsync("leaf", "list")).StdOut);
    }

    [Fact]
    public async Task Forgetting_an_unknown_or_already_forgotten_leaf_is_refused_in_one_line()
    {
        await InitAndSeedAsync();
        var (web, _) = await IssueTwoLeavesAsync();
        await _cli.SucceedAsync("leaf", "forget", web.Serial);

        var unknown = await _cli.RunAsync("leaf", "forget", "0badc0de");
        var twice = await _cli.RunAsync("leaf", "forget", web.Serial);

        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal($"error: no leaf with serial '0badc0de' was issued in trust domain '{Domain}': list them with 'rotation leaf list'", Assert.Single(unknown.ErrorLines));
        Assert.Equal(1, twice.ExitCode);
        Assert.StartsWith($"error: leaf '{web.Serial}' was already forgotten at", Assert.Single(twice.ErrorLines));
    }

    private async Task<(Core.Domain.IssuedLeaf Web, Core.Domain.IssuedLeaf Api)> IssueTwoLeavesAsync()
    {
        await _cli.SucceedAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/ns/default/sa/web", "--ttl", "72h", "--out", _temp.File("web"));
        await _cli.SucceedAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/ns/default/sa/api", "--ttl", "72h", "--out", _temp.File("api"));
        var leaves = await Homes.Store(_cli.Home).ListIssuedLeavesAsync(Domain);
        return (leaves.Single(l => l.Subject.Contains("CN=web", StringComparison.Ordinal)), leaves.Single(l => l.Subject.Contains("CN=api", StringComparison.Ordinal)));
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

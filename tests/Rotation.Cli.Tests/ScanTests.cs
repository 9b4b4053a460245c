using System.Text.Json;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Events;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>Scans at chosen instants of a CA's life: the policy decides, the outbox records, a re-scan adds nothing.</summary>
public sealed class ScanTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli");
    private readonly CliRunner _cli;

    public ScanTests() => _cli = new CliRunner(_temp.File("home"));

    public void Dispose() => _temp.Dispose();

    private static DateTimeOffset IntermediateNotAfter => CliRunner.Epoch.AddDays(365);

    [Fact]
    public async Task A_fresh_hierarchy_needs_no_attention_and_the_outbox_stays_empty()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);

        var result = await _cli.SucceedAsync("scan", "--json");

        Assert.Empty(Events(result));
        Assert.Empty(await Homes.Store(_cli.Home).ReadOutboxAsync());
    }

    [Fact]
    public async Task Rotation_becomes_due_at_two_thirds_of_the_intermediate_life_and_not_before()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        // From the certificate's own validity: init backdates notBefore, so the lifetime is a little over 365 days.
        var intermediate = (await Homes.InventoryAsync(_cli.Home, Domain)).ActiveIntermediate;
        var twoThirds = intermediate.NotBefore + ((intermediate.NotAfter - intermediate.NotBefore) * 2 / 3);

        var before = await _cli.SucceedAsync("scan", "--at", Iso(twoThirds.AddMinutes(-1)), "--json");
        var at = await _cli.SucceedAsync("scan", "--at", Iso(twoThirds.AddMinutes(1)), "--json");

        Assert.Empty(Events(before));
        var due = Assert.Single(Events(at));
        Assert.Equal(EventTypes.RotationDue, due.GetProperty("type").GetString());
        Assert.StartsWith("authorities/int-", due.GetProperty("subject").GetString());
        var data = due.GetProperty("data");
        Assert.Equal("intermediate", data.GetProperty("role").GetString());
        // Our intermediates sign leaves directly, so they are judged (and filtered by subscribers) as the issuing layer.
        Assert.Equal("issuing", data.GetProperty("layer").GetString());
        Assert.Equal("ok", data.GetProperty("expiryState").GetString());
        Assert.InRange(data.GetProperty("lifetimeLeftPercent").GetDouble(), 33.0, 33.34);
    }

    [Fact]
    public async Task A_CA_near_expiry_produces_near_expiry_and_rotation_due_as_full_cloud_events()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var at = IntermediateNotAfter.AddDays(-10);

        var result = await _cli.SucceedAsync("scan", "--at", Iso(at), "--json");

        var events = Events(result);
        Assert.Equal([EventTypes.CertificateNearExpiry, EventTypes.RotationDue], events.Select(e => e.GetProperty("type").GetString()).Order());
        var inventory = await Homes.Store(_cli.Home).ListAuthoritiesAsync(Domain);
        var intermediate = inventory.Single(a => a.Role == Core.Domain.CaRole.Intermediate);
        foreach (var cloudEvent in events)
        {
            Assert.Equal("1.0", cloudEvent.GetProperty("specversion").GetString());
            Assert.Equal($"/rotation/domains/{Domain}", cloudEvent.GetProperty("source").GetString());
            Assert.Equal($"authorities/{intermediate.Id}", cloudEvent.GetProperty("subject").GetString());
            Assert.Equal("application/json", cloudEvent.GetProperty("datacontenttype").GetString());
            Assert.Equal(at, cloudEvent.GetProperty("time").GetDateTimeOffset());
            Assert.True(Guid.TryParse(cloudEvent.GetProperty("id").GetString(), out _));
            var data = cloudEvent.GetProperty("data");
            Assert.Equal(Domain, data.GetProperty("domain").GetString());
            Assert.Equal(intermediate.Id, data.GetProperty("caId").GetString());
            Assert.Equal(intermediate.Subject, data.GetProperty("subject").GetString());
            Assert.Equal(intermediate.NotAfter, data.GetProperty("notAfter").GetDateTimeOffset());
            Assert.Equal(intermediate.Sha256, data.GetProperty("sha256").GetString());
            Assert.Equal("warning", data.GetProperty("expiryState").GetString());
            Assert.Equal("P10D", data.GetProperty("timeLeft").GetString());
        }
    }

    [Fact]
    public async Task Past_expiry_the_intermediate_is_reported_expired_and_the_root_is_not()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);

        var result = await _cli.SucceedAsync("scan", "--at", Iso(IntermediateNotAfter.AddDays(1)), "--json");

        var expired = Assert.Single(Events(result), e => e.GetProperty("type").GetString() == EventTypes.CertificateExpired);
        Assert.Equal("expired", expired.GetProperty("data").GetProperty("expiryState").GetString());
        Assert.StartsWith("authorities/int-", expired.GetProperty("subject").GetString());
        Assert.DoesNotContain(Events(result), e => e.GetProperty("subject").GetString()!.StartsWith("authorities/root-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scanning_twice_at_the_same_instant_or_day_appends_no_duplicates()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var at = IntermediateNotAfter.AddDays(-10);
        var store = Homes.Store(_cli.Home);

        var first = await _cli.SucceedAsync("scan", "--at", Iso(at), "--json");
        var afterFirst = await store.ReadOutboxAsync();
        var second = await _cli.SucceedAsync("scan", "--at", Iso(at), "--json");
        var laterThatDay = await _cli.SucceedAsync("scan", "--at", Iso(at.AddHours(3)), "--json");
        var afterRepeats = await store.ReadOutboxAsync();
        var nextDay = await _cli.SucceedAsync("scan", "--at", Iso(at.AddDays(1)), "--json");
        var afterNextDay = await store.ReadOutboxAsync();

        Assert.Equal(2, afterFirst.Count);
        Assert.Equal(Ids(first), Ids(second));
        Assert.Equal(Ids(first), Ids(laterThatDay));
        Assert.Equal(afterFirst.Select(e => e.Event.Id), afterRepeats.Select(e => e.Event.Id));
        Assert.Equal(4, afterNextDay.Count);
        Assert.Empty(Ids(first).Intersect(Ids(nextDay)));
    }

    [Fact]
    public async Task The_table_output_names_each_event_and_its_ca()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);

        var quiet = await _cli.SucceedAsync("scan");
        var busy = await _cli.SucceedAsync("scan", "--at", Iso(IntermediateNotAfter.AddDays(-3)));

        Assert.Contains("No CA needs attention", quiet.StdOut);
        Assert.Contains(EventTypes.CertificateNearExpiry, busy.StdOut);
        Assert.Contains(EventTypes.RotationDue, busy.StdOut);
        Assert.Contains("critical", busy.StdOut);
        Assert.Contains("2 event(s)", busy.StdOut);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2027-13-01")]
    public async Task A_malformed_at_is_a_usage_error(string at)
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var before = HomeSnapshot.Take(_cli.Home);

        var result = await _cli.RunAsync("scan", "--at", at);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: --at: invalid time '{at}'", Assert.Single(result.ErrorLines));
        before.AssertUnchanged(_cli.Home);
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static List<JsonElement> Events(CliResult result) =>
        JsonDocument.Parse(result.StdOut).RootElement.EnumerateArray().ToList();

    private static IReadOnlyList<string> Ids(CliResult result) => Events(result).Select(e => e.GetProperty("id").GetString()!).Order().ToList();
}

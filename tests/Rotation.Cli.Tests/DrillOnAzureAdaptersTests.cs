using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Infra.AzureTables;
using Rotation.Infra.KeyVault;
using Rotation.Infra.KeyVault.Simulator;
using Rotation.Testing;
using Rotation.Testing.Events;

namespace Rotation.Cli.Tests;

/// <summary>
/// `rotation drill` on the Azure adapters, chosen by flag: CA keys in the Key Vault test server, state in Azurite's
/// Table service, events to the Event Grid test server, each through the real SDK client over loopback TLS. The real
/// command runs the real engine under real mTLS traffic; the topic loses every third response after taking its events,
/// so subscribers see duplicates and must deduplicate by id.
/// </summary>
public sealed class DrillOnAzureAdaptersTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("rotation-cli-drill-azure");
    private readonly LoopbackTls _tls = new();
    private readonly List<HttpClient> _clients = [];
    private readonly CliRunner _cli;
    private SimulatedKeyVault _vault = null!;
    private AzuriteTables _azurite = null!;
    private EventGridTestServer _topic = null!;

    public DrillOnAzureAdaptersTests() => _cli = new CliRunner(_temp.File("home")) { Clock = TimeProvider.System };

    private string[] AzureFlags =>
    [
        "--vault", "keyvault:" + _vault.VaultUri.ToString().TrimEnd('/'),
        "--store", "tables:" + _azurite.ConnectionString,
        "--events", "eventgrid:" + _topic.TopicEndpoint,
    ];

    public async Task InitializeAsync()
    {
        _vault = new SimulatedKeyVault("rot-" + Guid.NewGuid().ToString("N")[..12]);
        await _vault.StartAsync();
        _azurite = AzuriteTables.Start();
        // The topic takes only the bearer token the one credential hands out, as a topic with local auth off.
        _topic = await EventGridTestServer.StartAsync(_tls, bearerToken: _vault.AcceptedToken);
        _cli.AzureCredential = new StaticTokenCredential(_vault.AcceptedToken);
        _cli.ConfigureKeyVaultClient = Transport(new HttpClient(_vault.CreateHandler()));
        _cli.ConfigureEventGridClient = Transport(new HttpClient(_tls.TrustingHandler()));
    }

    public async Task DisposeAsync()
    {
        await _topic.DisposeAsync();
        await _vault.DisposeAsync();
        await _azurite.DisposeAsync();
        _clients.ForEach(c => c.Dispose());
        _temp.Dispose();
    }

    [Fact]
    public async Task A_root_rotation_on_key_vault_tables_and_event_grid_fails_no_handshake_and_delivers_each_event_once()
    {
        _topic.FailEvery = 3;
        _topic.RecordBeforeFailing = true;

        var result = await _cli.RunAsync(["drill", .. AzureFlags, "--clusters", "2", "--workloads", "2", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var report = JsonDocument.Parse(result.StdOut);
        var root = report.RootElement;
        Assert.Equal(0, root.GetProperty("totalFailures").GetInt64());
        Assert.True(root.GetProperty("totalHandshakes").GetInt64() > 0, result.StdOut);
        var adapters = root.GetProperty("adapters");
        Assert.Equal("keyvault", adapters.GetProperty("vault").GetString());
        Assert.Equal("table", adapters.GetProperty("store").GetString());
        Assert.Equal("eventgrid", adapters.GetProperty("events").GetString());
        var domain = adapters.GetProperty("trustDomain").GetString()!;
        Assert.Matches(@"^drill-[0-9a-f]{8}\.mesh\.internal$", domain);
        Assert.DoesNotContain(AzuriteTables.AccountKey, result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain(AzuriteTables.AccountKey, result.StdErr, StringComparison.Ordinal);
        CommandSchemas.AssertValid("drill", result.StdOut);

        // The store the drill left in its own table: every event of the domain delivered, none parked.
        var store = new TableStateStore(
            new TableStoreOptions { ConnectionString = _azurite.ConnectionString, TableName = adapters.GetProperty("table").GetString()! },
            TimeProvider.System);
        var outbox = (await store.ReadOutboxAsync()).Where(e => EventSources.DomainOf(e.Event) == domain).ToList();
        Assert.Contains(outbox, e => e.Event.Source.Contains("/rotations/", StringComparison.Ordinal));
        Assert.All(outbox, e => Assert.NotNull(e.PublishedAt));
        var events = root.GetProperty("events");
        Assert.Equal(0, events.GetProperty("pending").GetInt64());
        Assert.Equal(0, events.GetProperty("parked").GetInt64());
        Assert.Equal(outbox.Count, events.GetProperty("published").GetInt64());
        Assert.True(events.GetProperty("failedAttempts").GetInt64() > 0, "the topic never failed: the retry path was not exercised");

        // What the topic took: duplicates (responses lost after it recorded them), and once deduplicated by id exactly the outbox.
        var arrived = _topic.Received.Select(e => e.GetProperty("id").GetString()!).ToList();
        Assert.True(arrived.Count > arrived.Distinct().Count(), "no duplicate arrived, so deduplication was not needed");
        Assert.Equal(outbox.Select(e => e.Event.Id).Order(StringComparer.Ordinal), arrived.Distinct().Order(StringComparer.Ordinal));

        // The chains the rotation made through Key Vault pass openssl's strict verification.
        var inventory = new CaInventory(domain, await store.ListAuthoritiesAsync(domain));
        var rootPem = _temp.File("root.pem");
        var intermediatePem = _temp.File("intermediate.pem");
        await File.WriteAllTextAsync(rootPem, inventory.ActiveRoot.Certificate.ToPem());
        await File.WriteAllTextAsync(intermediatePem, inventory.ActiveIntermediate.Certificate.ToPem());
        var verify = await OpenSsl.RunAsync("verify", "-x509_strict", "-CAfile", rootPem, intermediatePem);
        Assert.True(verify.Succeeded, verify.ToString());
        Assert.Contains(inventory.Authorities, a => a.Role == CaRole.Root && a.Status == CaStatus.Retired);

        // Both roots (the first and the new one) live in the vault as non-exportable keys, and no answer ever carried one.
        var bodies = _vault.Exchanges.Select(e => e.ResponseBody.Replace("\\n", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal)).ToList();
        var roots = _vault.KeyMaterial().Where(k => !k.Exportable).ToList();
        Assert.True(roots.Count >= 2, $"expected the old and the new root's keys in the vault, found {roots.Count} non-exportable key(s)");
        foreach (var (name, version, _, pkcs8) in roots)
        {
            var base64 = Convert.ToBase64String(pkcs8);
            Assert.False(bodies.Any(b => b.Contains(base64, StringComparison.Ordinal)), $"{name}/{version} is a root key, yet a Key Vault response carried it");
        }

        Assert.NotEmpty(_vault.Signatures);
        Assert.False(Directory.Exists(_cli.Home), "the drill must not create or touch the operator's home");

        // The drill's throwaway CAs stay in the vault (nothing is deleted), but none of their keys signs any more.
        foreach (var ca in inventory.Authorities)
        {
            var version = _vault.Versions(KeyVaultNames.For(ca.Key.Name)).Single(v => v.Version == ca.Key.Version);
            Assert.False(version.Enabled, $"{ca.Id}'s key {ca.Key} is still enabled after the drill");
        }

        Assert.Contains($"retired the {inventory.Authorities.Count} CA key(s) of {domain}", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_environment_and_the_home_configuration_file_never_point_the_drill_at_real_adapters()
    {
        var flags = AzureFlags;
        _cli.Environment[AdapterSettings.VaultVariable] = flags[1];
        _cli.Environment[AdapterSettings.StoreVariable] = flags[3];
        _cli.Environment[AdapterSettings.EventsVariable] = flags[5];
        Directory.CreateDirectory(_cli.Home);
        var configFile = Path.Combine(_cli.Home, AdapterSettings.ConfigFileName);
        var config = JsonSerializer.Serialize(new Dictionary<string, string> { ["vault"] = flags[1], ["store"] = flags[3], ["events"] = flags[5] });
        await File.WriteAllTextAsync(configFile, config);

        var result = await _cli.RunAsync("drill", "--clusters", "1", "--workloads", "2", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var report = JsonDocument.Parse(result.StdOut);
        var adapters = report.RootElement.GetProperty("adapters");
        Assert.Equal(("local", "sqlite", "none"), (adapters.GetProperty("vault").GetString(), adapters.GetProperty("store").GetString(), adapters.GetProperty("events").GetString()));
        Assert.Equal("drill.mesh.internal", adapters.GetProperty("trustDomain").GetString());
        Assert.False(report.RootElement.TryGetProperty("events", out _), result.StdOut);
        // Nothing reached the vault, the account or the topic, and the home is as it was.
        Assert.Empty(_vault.Exchanges);
        Assert.Empty(_topic.Requests);
        var tables = new List<string>();
        await foreach (var table in new TableServiceClient(_azurite.ConnectionString).QueryAsync())
        {
            tables.Add(table.Name);
        }

        Assert.Empty(tables);
        Assert.Equal([AdapterSettings.ConfigFileName], Directory.GetFileSystemEntries(_cli.Home).Select(Path.GetFileName));
        Assert.Equal(config, await File.ReadAllTextAsync(configFile));

        // A bad value there is not the drill's business either; on any other command it is refused.
        _cli.Environment[AdapterSettings.VaultVariable] = "vault-of-nowhere:x";
        var naive = await _cli.RunAsync("drill", "--naive", "--clusters", "1", "--workloads", "2", "--json");
        Assert.True(naive.ExitCode == 3, naive.ToString());
        var inventory = await _cli.RunAsync("inventory");
        Assert.Equal(2, inventory.ExitCode);
        Assert.Contains("ROTATION_VAULT", inventory.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_topic_that_refuses_the_credential_stops_the_publishing_not_the_rotation()
    {
        await using var locked = await EventGridTestServer.StartAsync(_tls, bearerToken: "another-identity");

        var result = await _cli.RunAsync("drill", "--events", "eventgrid:" + locked.TopicEndpoint, "--clusters", "1", "--workloads", "2", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var report = JsonDocument.Parse(result.StdOut);
        var adapters = report.RootElement.GetProperty("adapters");
        Assert.Equal(("local", "sqlite", "eventgrid"), (adapters.GetProperty("vault").GetString(), adapters.GetProperty("store").GetString(), adapters.GetProperty("events").GetString()));
        // Only the sink is off the embedded defaults, and still the run gets its own domain (the topic may be shared).
        Assert.Matches(@"^drill-[0-9a-f]{8}\.mesh\.internal$", adapters.GetProperty("trustDomain").GetString());
        var events = report.RootElement.GetProperty("events");
        Assert.Equal(0, events.GetProperty("published").GetInt64());
        Assert.True(events.GetProperty("pending").GetInt64() > 0, result.StdOut);
        Assert.Contains("401", events.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Single(locked.Requests);
        Assert.Empty(locked.Received);
        CommandSchemas.AssertValid("drill", result.StdOut);
    }

    [Fact]
    public async Task A_negative_control_with_an_adapter_flag_is_refused_with_one_line_before_anything_runs()
    {
        var result = await _cli.RunAsync(["drill", "--naive", .. AzureFlags]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: the negative controls use no vault, store or sink: drop --vault/--store/--events or the control", result.StdErr.Trim());
        Assert.Empty(_vault.Exchanges);
        Assert.Empty(_topic.Requests);
    }

    private Action<ClientOptions> Transport(HttpClient http)
    {
        _clients.Add(http);
        var transport = new HttpClientTransport(http);
        return options =>
        {
            options.Transport = transport;
            options.Retry.Delay = TimeSpan.FromMilliseconds(20);
        };
    }
}

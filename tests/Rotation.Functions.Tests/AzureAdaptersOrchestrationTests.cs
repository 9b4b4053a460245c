using System.Net;
using System.Net.Sockets;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Drill.Estate;
using Rotation.Functions.Events;
using Rotation.Functions.Hosting;
using Rotation.Functions.Orchestrations;
using Rotation.Functions.Tests.Support;
using Rotation.Functions.Triggers;
using Rotation.Infra.AzureTables;
using Rotation.Infra.Composition;
using Rotation.Infra.KeyVault;
using Rotation.Infra.KeyVault.Simulator;
using Rotation.Testing;
using Rotation.Testing.Events;

namespace Rotation.Functions.Tests;

/// <summary>
/// The deployed composition (AddRotationFunctions bound from app settings) on the Azure adapters: state in Table Storage
/// (Azurite), CA keys in the Key Vault test server, events to the Event Grid test server, each reached with the real SDK
/// client over trusted loopback TLS, and one credential shared by all of them. A rotation runs in the real Durable
/// dispatcher to completion; then the PublishEvents function drains the outbox to the topic.
/// </summary>
public sealed class AzureAdaptersOrchestrationTests : IAsyncLifetime
{
    private const string Domain = "mesh.azure.test";
    private readonly LoopbackTls _tls = new();
    private readonly string _table = AzuriteTables.NewTableName();
    private readonly List<HttpClient> _clients = [];
    private AzuriteTables _azurite = null!;
    private SimulatedKeyVault _vault = null!;
    private EventGridTestServer _topic = null!;

    public async Task InitializeAsync()
    {
        _azurite = AzuriteTables.Start();
        _vault = new SimulatedKeyVault("rot-" + Guid.NewGuid().ToString("N")[..12]);
        await _vault.StartAsync();
        // The topic accepts only the bearer token the one credential hands out (local auth off, as deployed).
        _topic = await EventGridTestServer.StartAsync(_tls, bearerToken: _vault.AcceptedToken);
    }

    public async Task DisposeAsync()
    {
        await _topic.DisposeAsync();
        await _vault.DisposeAsync();
        await _azurite.DisposeAsync();
        _clients.ForEach(c => c.Dispose());
    }

    /// <summary>The app settings a deployment gives the host, pointing at the loopback services.</summary>
    private IConfiguration AppSettings() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Rotation:Store"] = "table",
        ["Rotation:TableConnectionString"] = _azurite.ConnectionString,
        ["Rotation:TableName"] = _table,
        ["Rotation:Vault"] = "keyvault",
        ["Rotation:KeyVaultUri"] = _vault.VaultUri.ToString(),
        ["Rotation:Events"] = "eventgrid",
        ["Rotation:EventGridTopicEndpoint"] = _topic.TopicEndpoint.ToString(),
        ["Rotation:RecheckInterval"] = "00:00:02",
    }).Build();

    /// <summary>What a test replaces: the credential (a token the test servers accept) and each client's transport.</summary>
    private void TestSeams(IServiceCollection services, CountingCredential credential)
    {
        services.AddSingleton<TokenCredential>(credential);
        services.AddSingleton(new AzureClientSetup
        {
            KeyVault = Transport(new HttpClient(_vault.CreateHandler())),
            EventGrid = Transport(new HttpClient(_tls.TrustingHandler())),
        });
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

    [Fact]
    public async Task A_rotation_on_table_storage_and_key_vault_completes_and_publish_events_delivers_each_event_once()
    {
        var credential = new CountingCredential(_vault.AcceptedToken);

        // The trust domain, made through the same composition (a CLI `init` against the same settings would do the same).
        var setup = new ServiceCollection().AddLogging();
        TestSeams(setup, credential);
        await using var initial = setup.AddRotationFunctions(AppSettings()).BuildServiceProvider();
        var inventory = await initial.GetRequiredService<CaService>().InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeSpan.FromDays(7));
        var custody = initial.GetRequiredService<IKeyCustody>();
        var issuer = new IssuerMaterial(
            new CertificateWithKey(inventory.ActiveIntermediate.Certificate, await custody.ExportAsync(inventory.ActiveIntermediate.Key)),
            [inventory.ActiveIntermediate.Certificate, inventory.ActiveRoot.Certificate],
            TrustBundle.Of(inventory.ActiveRoot.Certificate));
        await using var estate = SimulatedEstate.Start(Domain, issuer, new SimulatedEstateOptions { Clusters = 2, WorkloadsPerCluster = 2, Cluster = FunctionsHarness.Cluster });

        await using var host = await DurableTaskTestHost.StartAsync(
            DurableTasks.Register,
            new DurableTaskTestHostOptions
            {
                Port = FreePort(),
                LoggerFactory = NullLoggerFactory.Instance,
                ConfigureServices = services =>
                {
                    services.AddLogging();
                    TestSeams(services, credential);
                    services.AddSingleton<ITargetResolver>(estate); // the simulated clusters stand in for the registered ones
                    services.AddRotationFunctions(AppSettings());
                },
            });

        var store = Assert.IsType<TableStateStore>(Assert.IsType<OutboxNudgingStateStore>(host.Services.GetRequiredService<IStateStore>()).Inner);
        Assert.Equal(_table, store.TableName);
        Assert.IsType<KeyVaultKeyCustody>(host.Services.GetRequiredService<IKeyCustody>());
        var policy = FunctionsHarness.Policy with { ApprovalRequiredFor = [] };
        var started = await host.Services.GetRequiredService<RotationService>().StartAsync(Domain, RotationKind.Intermediate, policy, "test");
        await host.Services.GetRequiredService<RotationStarter>().StartOrchestrationAsync(host.Client, started.Id, CancellationToken.None);
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(150)))
        {
            var done = await host.Client.WaitForInstanceCompletionAsync(started.Id, getInputsAndOutputs: true, wait.Token);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal(RotationStatus.Completed, done.ReadOutputAs<RotationOrchestrationOutcome>()!.Status);
        }

        // The new intermediate is a Key Vault certificate, and the record and authorities live in the configured table.
        var record = (await store.FindRotationAsync(started.Id))!;
        Assert.Equal(RotationStatus.Completed, record.Status);
        var active = (await store.ListAuthoritiesAsync(Domain)).Single(a => a.Role == CaRole.Intermediate && a.Status == CaStatus.Active);
        Assert.Equal(record.Authorities.NewIntermediateId, active.Id);
        Assert.Equal(KeyVaultKeyCustody.ProviderName, active.Key.Provider);
        Assert.NotEmpty(_vault.Versions(KeyVaultNames.For(active.Key.Name)));
        var outbox = await store.ReadOutboxAsync();
        Assert.Contains(outbox, e => e.Event.Type == EventTypes.RotationCompleted);

        // No timer ran: each commit's events were drained right after it (OutboxNudge), the last one included.
        var nudge = host.Services.GetRequiredService<OutboxNudge>();
        using (var drained = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while ((await store.ReadOutboxAsync(unpublishedOnly: true)).Count > 0)
                await Task.Delay(50, drained.Token);
        }

        Assert.True(nudge.Drains > 1, $"expected a drain after each commit with events, saw {nudge.Drains}");

        // The timer function, as the host resolves it, then finds nothing left to send.
        var function = ActivatorUtilities.CreateInstance<PublishEventsFunction>(host.Services);
        Assert.Equal(0, (await function.DrainAsync(CancellationToken.None)).Delivered);

        var arrived = _topic.Received.Select(e => e.GetProperty("id").GetString()!).ToList();
        Assert.Equal(outbox.Select(e => e.Event.Id).Order(), arrived.Order()); // each outbox event exactly once, by id
        Assert.Contains(_topic.Received, e => e.GetProperty("type").GetString() == EventTypes.RotationCompleted);
        Assert.Empty(await store.ReadOutboxAsync(unpublishedOnly: true));
        Assert.All(_topic.Requests, r => Assert.Equal("Bearer", r.AuthScheme));
        // One credential served Key Vault and Event Grid (Tables used the Azurite connection string).
        Assert.Contains(SimulatedKeyVault.Scope, credential.Scopes);
        Assert.Contains("https://eventgrid.azure.net/.default", credential.Scopes);

        // A second run finds nothing to send: nothing arrives twice.
        Assert.Equal(0, (await host.Services.GetRequiredService<IOutboxPublisher>().PublishPendingAsync(CancellationToken.None)).Delivered);
        Assert.Equal(arrived.Count, _topic.Received.Count);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A fixed token for every scope, remembering which scopes were asked for.</summary>
    private sealed class CountingCredential(string token) : TokenCredential
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _scopes = new();

        public IReadOnlyCollection<string> Scopes => [.. _scopes.Keys];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            foreach (var scope in requestContext.Scopes)
                _scopes.AddOrUpdate(scope, 1, (_, n) => n + 1);
            return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Rotation.Core.Authorities;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Functions.Hosting;
using Rotation.Functions.Orchestrations;
using Rotation.Infra.Kubernetes;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Functions.Tests.EstateWatch;

/// <summary>
/// A Durable gate wakes on a change of the estate: a root rotation in the real Durable dispatcher, through the
/// Kubernetes adapter, holds on VerifyTrust against a simulated cluster whose trust-manager is stopped. Every timer is
/// 10 minutes (gate backoff and recheck interval), so only the estate watch can release the gate within seconds; the
/// control runs the same with the watch off and must still be holding after the same wait.
/// </summary>
public sealed class EstateWatchGateTests : IAsyncLifetime
{
    private const string Domain = "mesh.watch.test";
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ReleaseWithin = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _home = new("rotation-estate-watch");
    private SqliteStateStore _store = null!;
    private LocalKeyCustody _custody = null!;
    private TrustManagerCluster _cluster = null!;
    private KubernetesTargetResolver _resolver = null!;
    private DurableTaskTestHost? _host;

    /// <summary>Timers that cannot fire during the test. The point of no return keeps its approval, so the rotation parks there and its status stays readable.</summary>
    private static RotationPolicy Policy => new() { GateRetryInitial = Long, GateRetryMax = Long };

    public async Task InitializeAsync()
    {
        _store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _home.File("rotation.db") });
        _custody = new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = _home.File("keys"), Passphrase = "estate-watch-test-passphrase" });
        var inventory = await new CaService(_store, _custody, TimeProvider.System).InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeSpan.FromDays(7));
        _cluster = await TrustManagerCluster.StartAsync(inventory.ActiveRoot.Certificate, _home.File("kubeconfig"));
        await _store.CommitAsync(new ChangeSet { Clusters = [_cluster.Registration(Domain)] });
        _resolver = new KubernetesTargetResolver(_store, new ClusterConnectionFactory(), _custody);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
            await _host.DisposeAsync();
        _resolver.Dispose();
        await _cluster.DisposeAsync();
        _home.Dispose();
    }

    private async Task<DurableTaskTestHost> StartHostAsync(bool watch)
    {
        _host = await DurableTaskTestHost.StartAsync(
            DurableTasks.Register,
            new DurableTaskTestHostOptions
            {
                Port = FreePort(),
                LoggerFactory = NullLoggerFactory.Instance,
                ConfigureServices = services =>
                {
                    services.AddSingleton<IStateStore>(_store);
                    services.AddSingleton<IKeyCustody>(_custody);
                    services.AddSingleton<ITargetResolver>(_resolver);
                    services.AddLogging();
                    services.Configure<RotationFunctionsOptions>(o => o.RecheckInterval = Long);
                    services.Configure<EstateWatchOptions>(o =>
                    {
                        o.Enabled = watch;
                        o.DiscoveryInterval = TimeSpan.FromSeconds(1);
                    });
                    services.AddRotationHost();
                },
            });
        // What the EstateWatch timer does in the Functions host: hand the relay a client.
        _host.Services.GetRequiredService<DurableClientSource>().Attach(_host.Client);
        return _host;
    }

    private async Task<RotationRecord> StartHoldingOnVerifyTrustAsync(DurableTaskTestHost host)
    {
        var started = await host.Services.GetRequiredService<RotationService>().StartAsync(Domain, RotationKind.Root, Policy, "test");
        await host.Services.GetRequiredService<RotationStarter>().StartOrchestrationAsync(host.Client, started.Id, CancellationToken.None);
        var holding = await WaitForRecordAsync(started.Id, r => r.CurrentPhase == RotationPhase.VerifyTrust && r.Gate is { Phase: RotationPhase.VerifyTrust }, TimeSpan.FromSeconds(60));
        Assert.True(holding.Gate!.WakesOnChange, $"VerifyTrust holds on evidence, not on the clock: {holding.Gate}");
        Assert.True(holding.Gate.NextCheckAt > DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5), $"the gate's own timer must be far away: {holding.Gate.NextCheckAt:O}");
        return holding;
    }

    [Fact]
    public async Task A_gate_holding_on_trust_releases_within_seconds_of_the_cluster_loading_the_new_root()
    {
        var host = await StartHostAsync(watch: true);
        var holding = await StartHoldingOnVerifyTrustAsync(host);
        var relay = host.Services.GetRequiredService<EstateChangeRelay>();
        await _cluster.UntilAsync(() => relay.Watching.TryGetValue(holding.Id, out var clusters) && clusters.Contains(TrustManagerCluster.Name), "the relay watches the rotation's cluster");
        var newRoot = (await _store.ListAuthoritiesAsync(Domain)).Single(a => a.Id == holding.Authorities.NewRootId).Certificate;

        var clock = Stopwatch.StartNew();
        _cluster.Load();
        await _cluster.UntilAsync(() => _cluster.TargetHolds(newRoot), "trust-manager loaded the new root");
        var released = await WaitForRecordAsync(holding.Id, r => r.PhaseIndex > holding.PhaseIndex, ReleaseWithin);
        clock.Stop();

        Assert.True(clock.Elapsed < ReleaseWithin, $"released after {clock.Elapsed}");
        Assert.NotEqual(RotationPhase.VerifyTrust, released.CurrentPhase);
        Assert.True(relay.Raised(holding.Id) >= 1, "the relay raised no event");
        // The custom status says what woke the gate.
        var status = await WaitForProgressAsync(host.Client, holding.Id, p => p.WokenBy?.Contains(TrustManagerCluster.Name, StringComparison.Ordinal) == true);
        Assert.Contains("a change on", status.WokenBy, StringComparison.Ordinal);

        // Past the point of no return the retirement gate wakes the same way; once the rotation is over, its cluster
        // is no longer watched.
        await host.Client.RaiseEventAsync(holding.Id, OrchestrationEvents.Approve, new ApprovalSignal(RotationPhase.RetireOldRoot, "alice"));
        var done = await WaitForRecordAsync(holding.Id, r => r.IsFinished, TimeSpan.FromSeconds(30));
        Assert.Equal(RotationStatus.Completed, done.Status);
        await _cluster.UntilAsync(() => !relay.Watching.ContainsKey(holding.Id), "the relay stopped watching the finished rotation");
    }

    [Fact]
    public async Task Without_the_watch_the_same_gate_still_holds_after_the_same_wait()
    {
        var host = await StartHostAsync(watch: false);
        var holding = await StartHoldingOnVerifyTrustAsync(host);
        var newRoot = (await _store.ListAuthoritiesAsync(Domain)).Single(a => a.Id == holding.Authorities.NewRootId).Certificate;

        _cluster.Load();
        await _cluster.UntilAsync(() => _cluster.TargetHolds(newRoot), "trust-manager loaded the new root");
        await Task.Delay(ReleaseWithin);

        var record = (await _store.FindRotationAsync(holding.Id))!;
        Assert.Equal(RotationPhase.VerifyTrust, record.CurrentPhase);
        Assert.Equal(holding.Gate!.Attempts, record.Gate!.Attempts); // not even looked at again: only its timer would
        Assert.Empty(host.Services.GetRequiredService<EstateChangeRelay>().Watching);
        var progress = (await host.Client.GetInstanceAsync(holding.Id, getInputsAndOutputs: true))!.ReadCustomStatusAs<RotationProgress>()!;
        Assert.True(progress.WakesOnChange); // it listens; nothing raises
        Assert.True(progress.NextCheckAt > DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task A_burst_of_object_changes_raises_one_event()
    {
        var host = await StartHostAsync(watch: true);
        var holding = await StartHoldingOnVerifyTrustAsync(host);
        var relay = host.Services.GetRequiredService<EstateChangeRelay>();
        await _cluster.UntilAsync(() => relay.Watching.ContainsKey(holding.Id), "the relay watches the rotation");
        // Let the watches' first lists (which count as a change) settle into their event.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var before = relay.Raised(holding.Id);

        // Twenty writes the gate does not care about, at once: the watch sees each; the relay raises one event.
        for (var i = 0; i < 20; i++)
            Rotation.Infra.Kubernetes.Simulator.Seeding.StoreSeeding.PutConfigMap(_cluster.Store, "payments", $"noise-{i}", new Dictionary<string, string> { ["k"] = "v" });
        await _cluster.UntilAsync(() => relay.Raised(holding.Id) > before, "the burst raised an event");
        await Task.Delay(TimeSpan.FromSeconds(1));

        var raised = relay.Raised(holding.Id) - before;
        Assert.InRange(raised, 1, 2);
        // Still holding: a change is only a reason to look; the evidence decides.
        Assert.Equal(RotationPhase.VerifyTrust, (await _store.FindRotationAsync(holding.Id))!.CurrentPhase);
    }

    private async Task<RotationRecord> WaitForRecordAsync(string id, Func<RotationRecord, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var record = (await _store.FindRotationAsync(id))!;
            if (condition(record))
                return record;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"rotation {id} never reached the expected state; last: {record.Status} {record.CurrentPhase} gate={record.Gate?.Reason} round={record.Round?.Round} parts={string.Join(";", record.Round?.Parts.Select(p => p.Key + "=" + (p.Value.Value?.Detail ?? p.Value.Error)) ?? [])} status={(await _host!.Client.GetInstanceAsync(id, true))?.SerializedCustomStatus}");
            await Task.Delay(50);
        }
    }

    private static async Task<RotationProgress> WaitForProgressAsync(DurableTaskClient client, string id, Func<RotationProgress, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var progress = (await client.GetInstanceAsync(id, getInputsAndOutputs: true))?.ReadCustomStatusAs<RotationProgress>();
            if (progress is not null && condition(progress))
                return progress;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"custom status never matched; last woken by: {progress?.WokenBy}");
            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

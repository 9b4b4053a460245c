using System.Net;
using System.Net.Sockets;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rotation.Core.Authorities;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Drill.Drills;
using Rotation.Drill.Estate;
using Rotation.Functions.Hosting;
using Rotation.Functions.Orchestrations;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Functions.Tests.Support;

/// <summary>
/// The Functions host's engine in the real in-process Durable dispatcher: a SQLite store and an encrypted local key
/// directory in a temp folder, a trust domain, the drill's simulated estate (real mTLS workloads) as targets, and
/// <see cref="DurableTasks.Register"/> — the same registration Program.cs uses.
/// </summary>
public sealed class FunctionsHarness : IAsyncDisposable
{
    public const string Domain = "mesh.functions.test";

    private readonly TempDirectory _home;
    private readonly SimulatedEstate _estate;

    private FunctionsHarness(TempDirectory home, SqliteStateStore store, LocalKeyVault vault, SimulatedEstate estate, FaultyResolver targets, DurableTaskTestHost host)
    {
        _home = home;
        Store = store;
        Vault = vault;
        _estate = estate;
        Targets = targets;
        Host = host;
    }

    /// <summary>Everything the worker serialized for the backend (what Durable history stores).</summary>
    public required RecordingDataConverter Payloads { get; init; }

    public SqliteStateStore Store { get; }
    /// <summary>The home's key files read raw (tests only: the app goes through <see cref="Custody"/>).</summary>
    public LocalKeyVault Vault { get; }

    public required LocalKeyCustody Custody { get; init; }
    public FaultyResolver Targets { get; }
    public DurableTaskTestHost Host { get; }
    public DurableTaskClient Client => Host.Client;
    public IServiceProvider Services => Host.Services;
    public RotationService Rotations => Services.GetRequiredService<RotationService>();
    public RotationStarter Starter => Services.GetRequiredService<RotationStarter>();
    public static SimulatedClusterOptions Cluster { get; } = new() { LeafTtl = TimeSpan.FromSeconds(2), PropagationDelay = TimeSpan.FromMilliseconds(100), PropagationJitter = TimeSpan.FromMilliseconds(100) };
    public static RotationPolicy Policy => EngineDrill.PolicyFor(Cluster);

    /// <param name="seenAs">Wraps the estate's targets as the engine sees them (e.g. targets that cannot show their leaves).</param>
    /// <param name="targetsFrom">Targets made from the domain's first issuer (A1, bundle {A}) instead of the drill's estate, e.g. <see cref="LightEstate"/>.</param>
    public static async Task<FunctionsHarness> StartAsync(Action<IServiceCollection>? configure = null, TimeSpan? recheck = null, int clusters = 2, Func<ITargetResolver, ITargetResolver>? seenAs = null, Func<IssuerMaterial, ITargetResolver>? targetsFrom = null)
    {
        var home = new TempDirectory("rotation-functions");
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = home.File("rotation.db") });
        var keys = new LocalKeyVaultOptions { KeyDirectory = home.File("keys"), Passphrase = "functions-test-passphrase" };
        // The custody the app uses, and the same files read raw, so tests can assert no key crossed the backend.
        var custody = new LocalKeyCustody(keys);
        var vault = new LocalKeyVault(keys);
        var inventory = await new CaService(store, custody, TimeProvider.System).InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeSpan.FromDays(7));
        var key = await custody.ExportAsync(inventory.ActiveIntermediate.Key);
        var issuer = new IssuerMaterial(new CertificateWithKey(inventory.ActiveIntermediate.Certificate, key), [inventory.ActiveIntermediate.Certificate, inventory.ActiveRoot.Certificate], TrustBundle.Of(inventory.ActiveRoot.Certificate));
        var estate = SimulatedEstate.Start(Domain, issuer, new SimulatedEstateOptions { Clusters = clusters, WorkloadsPerCluster = 2, Cluster = Cluster });
        var targets = new FaultyResolver(targetsFrom?.Invoke(issuer) ?? estate);
        var converter = new RecordingDataConverter();
        var host = await DurableTaskTestHost.StartAsync(
            DurableTasks.Register,
            new DurableTaskTestHostOptions
            {
                Port = FreePort(),
                LoggerFactory = NullLoggerFactory.Instance,
                ConfigureServices = services =>
                {
                    services.Configure<DurableTaskWorkerOptions>(o => o.DataConverter = converter);
                    services.AddSingleton<IStateStore>(store);
                    services.AddSingleton<IKeyCustody>(custody);
                    services.AddSingleton<ITargetResolver>(seenAs?.Invoke(targets) ?? targets);
                    services.AddSingleton(ClusterRegistry.Create(store));
                    services.AddLogging();
                    services.Configure<RotationFunctionsOptions>(o => o.RecheckInterval = recheck ?? TimeSpan.FromSeconds(2));
                    configure?.Invoke(services);
                    services.AddRotationHost();
                },
            });
        return new FunctionsHarness(home, store, vault, estate, targets, host) { Payloads = converter, Custody = custody };
    }

    /// <summary>Starts a rotation with the drill's short-lived policy and schedules its orchestration.</summary>
    public async Task<RotationRecord> StartRotationAsync(RotationKind kind, RotationPolicy? policy = null)
    {
        var record = await Rotations.StartAsync(Domain, kind, policy ?? Policy, "test");
        await Starter.StartOrchestrationAsync(Client, record.Id, CancellationToken.None);
        return record;
    }

    public async Task<RotationRecord> RecordAsync(string id) => (await Store.FindRotationAsync(id))!;

    public async Task<RotationProgress?> ProgressAsync(string id) =>
        (await Client.GetInstanceAsync(id, getInputsAndOutputs: true))?.ReadCustomStatusAs<RotationProgress>();

    /// <summary>Polls the store until <paramref name="condition"/> holds on the record.</summary>
    public async Task<RotationRecord> WaitForRecordAsync(string id, Func<RotationRecord, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            var record = await RecordAsync(id);
            if (condition(record))
                return record;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"rotation {id} never reached the expected state; last: {record.Status} {record.CurrentPhase} gate={record.Gate?.Reason}");
            await Task.Delay(100);
        }
    }

    public async Task<OrchestrationMetadata> WaitForCompletionAsync(string id, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        return await Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cancel.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await _estate.DisposeAsync();
        Targets.Dispose();
        _home.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The estate as a target resolver, with faults to inject: a number of transient failures, or a permanent one until cleared.</summary>
public sealed class FaultyResolver(ITargetResolver inner) : ITargetResolver, IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _resolvedOne = new(StringComparer.Ordinal);
    private int _transientLeft;
    private volatile string? _permanent;
    private string? _failingTarget;
    private int _targetTransientLeft;

    public int TransientThrown { get; private set; }
    public int PermanentThrown { get; private set; }
    public int TargetTransientThrown => Volatile.Read(ref _targetTransientThrown);
    private int _targetTransientThrown;

    /// <summary>How often each target was resolved on its own (once per cluster activity).</summary>
    public IReadOnlyDictionary<string, int> ResolvedOne => _resolvedOne;

    public void FailTransiently(int times) => _transientLeft = times;

    /// <summary>The next <paramref name="times"/> resolutions of <paramref name="target"/> alone time out (its cluster activity fails).</summary>
    public void FailTargetTransiently(string target, int times)
    {
        _targetTransientLeft = times;
        _failingTarget = target;
    }

    public Task<IRotationTarget?> ResolveOneAsync(string domain, string target, CancellationToken cancellationToken = default)
    {
        _resolvedOne.AddOrUpdate(target, 1, (_, n) => n + 1);
        if (target == _failingTarget && Interlocked.Decrement(ref _targetTransientLeft) >= 0)
        {
            Interlocked.Increment(ref _targetTransientThrown);
            throw new TimeoutException($"injected: cluster of {target} did not answer in time");
        }

        return inner.ResolveOneAsync(domain, target, cancellationToken);
    }

    public void FailPermanently(string reason) => _permanent = reason;

    public void Heal() => _permanent = null;

    public Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Decrement(ref _transientLeft) >= 0)
        {
            TransientThrown++;
            throw new TimeoutException("injected: the cluster registry did not answer in time");
        }

        if (_permanent is { } reason)
        {
            PermanentThrown++;
            throw new InvalidOperationException(reason);
        }

        return inner.ResolveAsync(domain, cancellationToken);
    }

    public void Dispose() { }
}

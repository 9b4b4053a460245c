using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;
using Rotation.Infra.Kubernetes;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Sqlite;

namespace Rotation.Cli;

/// <summary>
/// The one place the CLI is composed: the engine on the embedded default, a SQLite file and a local key
/// directory under the home, or on the adapters --vault / --store choose (AdapterSettings). Nothing touches the disk
/// or the network until a command uses it.
/// </summary>
public sealed class CliServices
{
    public const string DatabaseFileName = "rotation.db";
    public const string KeyDirectoryName = "keys";

    private readonly ServiceProvider _adapters;

    private CliServices(CliContext context, string home, AdapterSettings adapters, bool readOnly = false, AdapterSetting? events = null)
    {
        Home = home;
        Adapters = adapters;
        DatabasePath = Path.Combine(home, DatabaseFileName);
        // The composition the Functions host uses too: store, custody, sink and one credential for every Azure client.
        _adapters = AdapterFactory.Compose(context, AdapterFactory.Settings(context, adapters, DatabasePath, Path.Combine(home, KeyDirectoryName), readOnly, events));
        Store = _adapters.GetRequiredService<IStateStore>();
        Custody = _adapters.GetRequiredService<IKeyCustody>();
        var credential = _adapters.GetRequiredService<TokenCredential>();
        Authorities = new CaService(Store, Custody, context.Time);
        Targets = context.Targets ?? new KubernetesTargetResolver(Store, new ClusterConnectionFactory(timeProvider: context.Time, azureCredential: credential), Custody, context.Time);
        Clusters = ClusterRegistry.Create(Store, context.Time, homeId: Path.GetFullPath(home), azureCredential: credential);
        Rotations = new RotationService(Store, Custody, Targets, context.Time);
        StepRunner = new RotationStepRunner(Store, Custody, Targets, context.Time);
    }

    public string Home { get; }

    /// <summary>The custody, store and event sink chosen by flag, environment, HOME/rotation.json or default.</summary>
    public AdapterSettings Adapters { get; }
    public string DatabasePath { get; }
    public IStateStore Store { get; }
    public IKeyCustody Custody { get; }
    public CaService Authorities { get; }
    public ITargetResolver Targets { get; }
    public RotationService Rotations { get; }
    public RotationStepRunner StepRunner { get; }
    public ClusterRegistry Clusters { get; }

    /// <summary>The event sink --events (or `events publish --to`) chose, null when none; built on first use.</summary>
    public IEventSink? EventSink => _adapters.GetService<IEventSink>();

    /// <summary>The outbox drain to <see cref="EventSink"/> (the one the Functions host's PublishEvents timer runs), null without a sink.</summary>
    public OutboxPublisher? Publisher => _adapters.GetService<OutboxPublisher>();

    /// <summary>For init: the home is created on first write.</summary>
    public static CliServices OpenOrCreate(CliContext context, string? homeOption)
    {
        var home = context.ResolveHome(homeOption);
        return new(context, home, AdapterSettings.Resolve(context, home));
    }

    /// <summary>
    /// For every command that writes: a missing home is an error, not an empty database quietly created; a home that
    /// cannot be written is refused before the command touches anything (a cluster, the vault).
    /// </summary>
    public static Task<CliServices> OpenExistingAsync(CliContext context, string? homeOption, CancellationToken cancellationToken = default) =>
        OpenExistingAsync(context, homeOption, null, cancellationToken);

    /// <param name="events">A sink that replaces the configured one (`events publish --to`).</param>
    public static async Task<CliServices> OpenExistingAsync(CliContext context, string? homeOption, AdapterSetting? events, CancellationToken cancellationToken = default)
    {
        var (home, adapters) = ExistingHome(context, homeOption);
        var services = new CliServices(context, home, adapters, events: events);
        if (services.Store is SqliteStateStore sqlite)
        {
            await sqlite.EnsureWritableAsync(cancellationToken);
        }

        return services;
    }

    /// <summary>For commands that only read (inventory, status, leaf list, cluster list, export): they run on a read-only home.</summary>
    public static CliServices OpenReadOnly(CliContext context, string? homeOption)
    {
        var (home, adapters) = ExistingHome(context, homeOption);
        return new(context, home, adapters, readOnly: true);
    }

    private static (string Home, AdapterSettings Adapters) ExistingHome(CliContext context, string? homeOption)
    {
        var home = context.ResolveHome(homeOption);
        var adapters = AdapterSettings.Resolve(context, home);
        // With Table Storage the state lives in the table, not in the home: there is no rotation.db to look for.
        return StoreAddress.Parse(adapters.Store) is not null || File.Exists(Path.Combine(home, DatabaseFileName))
            ? (home, adapters)
            : throw new DomainException($"no Rotation home at {home} (no {DatabaseFileName}): run 'rotation init --domain <name>' first, or point --home or {CliContext.HomeVariable} at an existing home");
    }
}

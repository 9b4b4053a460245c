using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;
using Rotation.Infra.Kubernetes;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;

namespace Rotation.Cli;

/// <summary>
/// The one place the CLI is composed: the engine on the embedded default, a SQLite file and a local key
/// directory under the home. Nothing touches the disk until a command uses it.
/// </summary>
public sealed class CliServices
{
    public const string DatabaseFileName = "rotation.db";
    public const string KeyDirectoryName = "keys";

    private CliServices(CliContext context, string home, bool readOnly = false)
    {
        Home = home;
        DatabasePath = Path.Combine(home, DatabaseFileName);
        Store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = DatabasePath, ReadOnly = readOnly }, context.Time);
        Custody = new LocalKeyCustody(new LocalKeyVaultOptions
        {
            KeyDirectory = Path.Combine(home, KeyDirectoryName),
            Passphrase = context.Environment(CliContext.PassphraseVariable),
        }, context.Time);
        Authorities = new CaService(Store, Custody, context.Time);
        Targets = context.Targets ?? new KubernetesTargetResolver(Store, new ClusterConnectionFactory(timeProvider: context.Time), Custody, context.Time);
        Clusters = ClusterRegistry.Create(Store, context.Time, homeId: Path.GetFullPath(home));
        Rotations = new RotationService(Store, Targets, context.Time);
        StepRunner = new RotationStepRunner(Store, Custody, Targets, context.Time);
    }

    public string Home { get; }
    public string DatabasePath { get; }
    public IStateStore Store { get; }
    public IKeyCustody Custody { get; }
    public CaService Authorities { get; }
    public ITargetResolver Targets { get; }
    public RotationService Rotations { get; }
    public RotationStepRunner StepRunner { get; }
    public ClusterRegistry Clusters { get; }

    /// <summary>For init: the home is created on first write.</summary>
    public static CliServices OpenOrCreate(CliContext context, string? homeOption) =>
        new(context, context.ResolveHome(homeOption));

    /// <summary>
    /// For every command that writes: a missing home is an error, not an empty database quietly created; a home that
    /// cannot be written is refused before the command touches anything (a cluster, the vault).
    /// </summary>
    public static async Task<CliServices> OpenExistingAsync(CliContext context, string? homeOption, CancellationToken cancellationToken = default)
    {
        var services = new CliServices(context, ExistingHome(context, homeOption));
        await ((SqliteStateStore)services.Store).EnsureWritableAsync(cancellationToken);
        return services;
    }

    /// <summary>For commands that only read (inventory, status, leaf list, cluster list, export): they run on a read-only home.</summary>
    public static CliServices OpenReadOnly(CliContext context, string? homeOption) =>
        new(context, ExistingHome(context, homeOption), readOnly: true);

    private static string ExistingHome(CliContext context, string? homeOption)
    {
        var home = context.ResolveHome(homeOption);
        return File.Exists(Path.Combine(home, DatabaseFileName))
            ? home
            : throw new DomainException($"no Rotation home at {home} (no {DatabaseFileName}): run 'rotation init --domain <name>' first, or point --home or {CliContext.HomeVariable} at an existing home");
    }
}

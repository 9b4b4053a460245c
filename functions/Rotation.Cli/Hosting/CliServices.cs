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

    private CliServices(CliContext context, string home)
    {
        Home = home;
        DatabasePath = Path.Combine(home, DatabaseFileName);
        Store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = DatabasePath }, context.Time);
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

    /// <summary>For every other command: a missing home is an error, not an empty database quietly created.</summary>
    public static CliServices OpenExisting(CliContext context, string? homeOption)
    {
        var home = context.ResolveHome(homeOption);
        return File.Exists(Path.Combine(home, DatabaseFileName))
            ? new CliServices(context, home)
            : throw new DomainException($"no Rotation home at {home} (no {DatabaseFileName}): run 'rotation init --domain <name>' first, or point --home or {CliContext.HomeVariable} at an existing home");
    }
}

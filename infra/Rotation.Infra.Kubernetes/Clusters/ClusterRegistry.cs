using System.Text.RegularExpressions;
using k8s;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Drift;
using Rotation.Infra.Files;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>What `rotation cluster add` asks for. Exactly the fields of its <see cref="ClusterRegistration.Connection"/> kind are used.</summary>
/// <param name="Name">The cluster's name in Rotation: lowercase letters, digits and '-', at most 63 characters.</param>
/// <param name="Domain">The trust domain it belongs to; must exist.</param>
/// <param name="Connection">Kubeconfig, InCluster or Aks.</param>
/// <param name="KubeconfigPath">Kubeconfig: the file (stored as an absolute path; it is read again at each use, never copied).</param>
/// <param name="Context">Kubeconfig: the context to use; null for the file's current-context.</param>
/// <param name="AksResourceId">Aks: /subscriptions/…/resourceGroups/…/providers/Microsoft.ContainerService/managedClusters/NAME.</param>
/// <param name="Targets">At least one; see <see cref="TargetSpecParser"/> for the command-line spelling.</param>
public sealed record ClusterAddRequest(
    string Name,
    string Domain,
    ClusterConnectionKind Connection,
    string? KubeconfigPath,
    string? Context,
    string? AksResourceId,
    IReadOnlyList<TargetSpec> Targets);

/// <summary>
/// The cluster registry behind `rotation cluster add|list|remove|check`. Add and remove validate everything first and
/// change nothing when they refuse (a one-line <see cref="DomainException"/> naming the problem and what to do).
/// A rotation fans out to every cluster of its domain (see <see cref="KubernetesTargetResolver"/>).
/// </summary>
public sealed partial class ClusterRegistry
{
    private readonly IStateStore _store;
    private readonly ClusterCheck _check;
    private readonly TimeProvider _time;

    public ClusterRegistry(IStateStore store, ClusterCheck check, TimeProvider time)
    {
        _store = store;
        _check = check;
        _time = time;
    }

    /// <summary>
    /// The registry as a host wires it: cluster checks connect with <paramref name="options"/> (defaults when null) and,
    /// for AKS clusters, <paramref name="azureCredential"/> (the host's one credential), else <c>DefaultAzureCredential</c>.
    /// </summary>
    public static ClusterRegistry Create(IStateStore store, TimeProvider? time = null, KubernetesAdapterOptions? options = null, string? homeId = null, Azure.Core.TokenCredential? azureCredential = null) =>
        new(store, new ClusterCheck(new ClusterConnectionFactory(options, time, azureCredential)), time ?? TimeProvider.System) { HomeId = homeId ?? "unnamed-home" };

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex ClusterName();

    [GeneratedRegex("^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.ContainerService/managedClusters/[^/]+$", RegexOptions.IgnoreCase)]
    private static partial Regex AksResourceId();

    /// <summary>Registers a cluster. Validates the name, the domain, the connection (kubeconfig readable, context present, AKS id well-formed) and every target and option; contacts no cluster (use <see cref="CheckAsync"/>).</summary>
    public async Task<ClusterRegistration> AddAsync(ClusterAddRequest request, CancellationToken cancellationToken = default)
    {
        if (request.Name is null || !ClusterName().IsMatch(request.Name))
            throw new DomainException($"invalid cluster name '{request.Name}': use lowercase letters, digits and '-' (at most 63, starting and ending with a letter or digit)");
        if (await _store.FindDomainAsync(request.Domain, cancellationToken) is null)
            throw new DomainException($"trust domain '{request.Domain}' does not exist: create it with 'rotation init --domain {request.Domain}' first");
        var existing = (await _store.ListClustersAsync(null, cancellationToken)).FirstOrDefault(c => c.Name == request.Name);
        if (existing is not null)
            throw new DomainException($"cluster '{request.Name}' is already registered (domain '{existing.Domain}'): remove it first or pick another name");

        var (kubeconfig, context, aks) = await ValidateConnectionAsync(request);
        if (request.Targets.Count == 0)
            throw new DomainException($"cluster '{request.Name}' needs at least one target: add --target with one of {string.Join(", ", TargetCatalog.Kinds)}");
        var duplicate = request.Targets.GroupBy(t => t.Kind).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new DomainException($"target '{duplicate.Key}' is given twice for cluster '{request.Name}': a cluster has at most one target of each kind");
        foreach (var target in request.Targets)
            TargetCatalog.Validate(target);
        var host = request.Connection == ClusterConnectionKind.Host;
        var misplaced = request.Targets.FirstOrDefault(t => TargetCatalog.IsHostKind(t.Kind) != host);
        if (misplaced is not null)
            throw new DomainException(host
                ? $"target '{misplaced.Kind}' needs a Kubernetes cluster: a host registered with --dir carries only a files target"
                : $"target '{misplaced.Kind}' is written to a directory, not a cluster: register it without --kubeconfig/--in-cluster/--aks (rotation cluster add NAME --dir DIR)");
        await EnsureUnclaimedAsync(request, kubeconfig, context, aks, cancellationToken);
        var directories = await EnsureDirectoriesUnclaimedAsync(request, cancellationToken);

        var registration = new ClusterRegistration(request.Name, request.Domain, request.Connection, kubeconfig, context, aks, request.Targets, _time.GetUtcNow());
        await ClaimAsync(directories, request, cancellationToken);
        try
        {
            await _store.CommitAsync(new ChangeSet { Clusters = [registration] }, cancellationToken);
        }
        catch
        {
            await ReleaseAsync(request.Targets, request.Domain, CancellationToken.None);
            throw;
        }

        return registration with { Version = 1 };
    }

    /// <summary>Registered Kubernetes clusters (of one domain, or all), by name.</summary>
    public async Task<IReadOnlyList<ClusterRegistration>> ListAsync(string? domain = null, CancellationToken cancellationToken = default) =>
        (await _store.ListClustersAsync(domain, cancellationToken))
            .Where(c => c.Connection != ClusterConnectionKind.Simulated)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>Unregisters a cluster. Refused while its domain has an active rotation: that rotation's gates must keep seeing it.</summary>
    public async Task RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        var cluster = await RequireAsync(name, cancellationToken);
        var active = (await _store.ListRotationsAsync(cluster.Domain, cancellationToken)).FirstOrDefault(r => r.IsActive);
        if (active is not null)
            throw new DomainException($"cluster '{name}' takes part in rotation '{active.Id}' of domain '{cluster.Domain}': finish or abort it before removing the cluster");
        await _store.CommitAsync(new ChangeSet { RemovedClusters = [cluster] }, cancellationToken);
        await ReleaseAsync(cluster.Targets, cluster.Domain, cancellationToken);
    }

    /// <summary>Reachability, permissions and each target's preflight for a rotation of <paramref name="kind"/>. Writes nothing.</summary>
    public Task<ClusterCheckReport> CheckAsync(string name, RotationKind kind = RotationKind.Root, CancellationToken cancellationToken = default) =>
        CheckAsync(name, kind, null, cancellationToken);

    /// <param name="onLine">Told of each check line as soon as it is known (`rotation cluster check` prints it then).</param>
    public async Task<ClusterCheckReport> CheckAsync(string name, RotationKind kind, Action<ClusterCheckLine>? onLine, CancellationToken cancellationToken)
    {
        var cluster = await RequireAsync(name, cancellationToken);
        var drift = await DriftFindingsAsync(cluster.Domain, cancellationToken);
        if (cluster.Connection == ClusterConnectionKind.Host)
        {
            return await CheckHostAsync(cluster, kind, drift, onLine, cancellationToken);
        }

        return await _check.RunAsync(cluster, kind, drift, onLine, cancellationToken);
    }

    /// <summary>The drift gate's comparison for a target of <paramref name="domain"/>; null for a domain without active CAs (nothing to compare with).</summary>
    private async Task<Func<TargetContent, IReadOnlyList<string>>?> DriftFindingsAsync(string domain, CancellationToken cancellationToken)
    {
        var inventory = new CaInventory(domain, await _store.ListAuthoritiesAsync(domain, cancellationToken));
        var active = (await _store.ListRotationsAsync(domain, cancellationToken)).FirstOrDefault(r => r.IsActive);
        DriftExpectation? expected;
        try
        {
            expected = active is not null ? DriftExpectation.During(active, inventory) : DriftExpectation.Steady(inventory);
        }
        catch (DomainException)
        {
            expected = null; // a domain without active CAs cannot rotate; there is nothing to compare with
        }

        return expected is null ? null : content => DriftGate.Findings(content, expected, inventory);
    }

    /// <summary>
    /// A host has no API server: its check is each files target's preflight (directory, reload command, content known
    /// to the domain) and the drift gate's comparison, as for a cluster: a drift line fails the check with exit 3.
    /// </summary>
    private async Task<ClusterCheckReport> CheckHostAsync(ClusterRegistration cluster, RotationKind kind, Func<TargetContent, IReadOnlyList<string>>? drift, Action<ClusterCheckLine>? onLine, CancellationToken cancellationToken)
    {
        var lines = new ClusterCheckLines(onLine);
        foreach (var spec in cluster.Targets)
        {
            using var target = new FilesTarget($"{cluster.Name}/{spec.Kind}", FilesTargetOptions.From(spec.Options), new StoreDomainMaterial(_store, cluster.Domain));
            var report = await target.PreflightAsync(kind, cancellationToken);
            lines.AddRange(report.Checks.Select(c => new ClusterCheckLine($"{spec.Kind} {c.Name}", c.Passed, c.Detail)));
            if (drift is not null && Directory.Exists(FilesTargetOptions.From(spec.Options).Directory))
                lines.AddRange(await ClusterCheck.DriftAsync(target, drift, cancellationToken));
        }

        return new ClusterCheckReport(cluster.Name, null, lines.All);
    }

    private async Task<ClusterRegistration> RequireAsync(string name, CancellationToken cancellationToken) =>
        (await _store.ListClustersAsync(null, cancellationToken)).FirstOrDefault(c => c.Name == name)
            ?? throw new DomainException($"cluster '{name}' is not registered: see 'rotation cluster list'");

    private static async Task<(string? Kubeconfig, string? Context, string? Aks)> ValidateConnectionAsync(ClusterAddRequest request)
    {
        switch (request.Connection)
        {
            case ClusterConnectionKind.Kubeconfig:
                if (string.IsNullOrWhiteSpace(request.KubeconfigPath))
                    throw new DomainException($"cluster '{request.Name}' needs a kubeconfig: pass --kubeconfig PATH");
                var path = Path.GetFullPath(request.KubeconfigPath);
                if (!File.Exists(path))
                    throw new DomainException($"kubeconfig '{path}' does not exist: pass the path of a readable kubeconfig");
                k8s.KubeConfigModels.K8SConfiguration config;
                try
                {
                    config = await KubernetesClientConfiguration.LoadKubeConfigAsync(new FileInfo(path));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException)
                {
                    throw new DomainException($"kubeconfig '{path}' cannot be read ({ex.Message.Split('\n')[0]}): check the file and its permissions");
                }

                var contexts = config.Contexts?.Select(c => c.Name).ToList() ?? [];
                var context = string.IsNullOrWhiteSpace(request.Context) ? null : request.Context.Trim();
                var effective = context ?? config.CurrentContext;
                if (string.IsNullOrEmpty(effective))
                    throw new DomainException($"kubeconfig '{path}' has no current-context: pass --context with one of {Names(contexts)}");
                if (!contexts.Contains(effective))
                    throw new DomainException($"context '{effective}' is not in kubeconfig '{path}': use one of {Names(contexts)}");
                return (path, context, null);
            case ClusterConnectionKind.InCluster:
            case ClusterConnectionKind.Host:
                return (null, null, null);
            case ClusterConnectionKind.Aks:
                if (!AksResourceId().IsMatch(request.AksResourceId ?? string.Empty))
                    throw new DomainException($"'{request.AksResourceId}' is not an AKS resource id: use /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ContainerService/managedClusters/NAME");
                return (null, null, request.AksResourceId);
            default:
                throw new DomainException($"connection '{request.Connection}' cannot be registered as a cluster: use a kubeconfig, in-cluster or --aks");
        }
    }

    private static string Names(IReadOnlyCollection<string> names) => names.Count == 0 ? "(none in the file)" : string.Join(", ", names);
}

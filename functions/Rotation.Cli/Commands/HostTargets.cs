using System.CommandLine;
using Rotation.Core.Domain;
using Rotation.Infra.Files;
using Rotation.Infra.Files.Endpoints;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Cli.Commands;

/// <summary>
/// The shorthands of `rotation cluster add` for consumers outside Kubernetes: <c>--dir</c> and <c>--reload</c> make a
/// <c>files</c> target on a host; <c>--endpoint</c> adds endpoint evidence to the files target, or to the only target
/// given. Everything they say can also be spelled as a --target spec (files:dir=…,reload=…,endpoints=a+b).
/// </summary>
internal sealed record HostTargets(string? Dir, string? Reload, IReadOnlyList<string> Endpoints)
{
    public bool IsHost => Dir is not null;

    public static HostTargets Spec(string? dir, string? reload, IReadOnlyList<string> endpoints)
    {
        if (reload is not null && dir is null)
            throw new UsageException("--reload applies only with --dir (a files target on a host)");
        return new HostTargets(dir, reload, endpoints);
    }

    /// <summary>A host has no API server: none of the cluster connections may be given.</summary>
    public static (ClusterConnectionKind Kind, string? Kubeconfig, string? Aks) RefuseClusterConnection(
        ParseResult parseResult, Option<string?> kubeconfig, Option<bool> inCluster, Option<string?> aks)
    {
        if (parseResult.GetResult(kubeconfig) is not null || parseResult.GetValue(inCluster) || parseResult.GetResult(aks) is not null)
            throw new UsageException("--dir registers a host outside Kubernetes: drop --kubeconfig, --in-cluster and --aks, or register the cluster separately");
        return (ClusterConnectionKind.Host, null, null);
    }

    /// <summary>The --target specs, parsed, with the shorthands folded in.</summary>
    public IReadOnlyList<TargetSpec> Apply(IReadOnlyList<string> targets)
    {
        List<TargetSpec> specs;
        if (IsHost)
        {
            var other = targets.FirstOrDefault(t => t != FilesTarget.KindName && !t.StartsWith(FilesTarget.KindName + ":", StringComparison.Ordinal));
            if (other is not null || targets.Count > 1)
                throw new UsageException($"--dir registers a host: its only target is '{FilesTarget.KindName}' (given: {string.Join(", ", targets)})");
            // The directory is given by --dir; the spec (if any) adds the other options, so it is parsed with the directory in.
            var dirOption = $"{FilesTarget.KindName}:{FilesTargetOptions.DirKey}={Path.GetFullPath(Dir!)}";
            var given = targets.Count == 0 || targets[0] == FilesTarget.KindName
                ? TargetSpecParser.Parse(dirOption)
                : TargetSpecParser.Parse($"{dirOption},{targets[0][(FilesTarget.KindName.Length + 1)..]}");
            var options = new Dictionary<string, string>(given.Options, StringComparer.Ordinal);
            if (Reload is not null)
                Set(options, FilesTargetOptions.ReloadKey, Reload, "--reload");
            specs = [new TargetSpec(FilesTarget.KindName, options)];
            TargetCatalog.Validate(specs[0]);
        }
        else
        {
            specs = targets.Select(TargetSpecParser.Parse).ToList();
        }

        if (Endpoints.Count == 0)
            return specs;
        if (specs.Count != 1)
            throw new UsageException("--endpoint applies to exactly one target: with several, put endpoints=HOST:PORT+HOST:PORT into the --target spec it belongs to");
        var withEndpoints = new Dictionary<string, string>(specs[0].Options, StringComparer.Ordinal);
        Set(withEndpoints, EndpointEvidenceOptions.EndpointsKey, string.Join('+', Endpoints), "--endpoint");
        var spec = new TargetSpec(specs[0].Kind, withEndpoints);
        TargetCatalog.Validate(spec);
        return [spec];
    }

    private static void Set(Dictionary<string, string> options, string key, string value, string flag)
    {
        if (!options.TryAdd(key, value))
            throw new UsageException($"{flag} and the target option '{key}' are both given: use one of them");
    }
}

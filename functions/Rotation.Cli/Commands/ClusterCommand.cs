using System.CommandLine;
using System.CommandLine.Parsing;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Targets;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>rotation cluster add|list|remove|check: the Kubernetes clusters a trust domain's rotations fan out to.</summary>
internal static class ClusterCommand
{
    public static Command Create(CliContext context, Option<string?> home) =>
        new("cluster", "Register the Kubernetes clusters (and their meshes) a domain's rotations update")
        {
            Add(context, home),
            List(context, home),
            Remove(context, home),
            Check(context, home),
        };

    private static Command Add(CliContext context, Option<string?> home)
    {
        var name = new Argument<string>("NAME") { Description = "The cluster's name in Rotation: lowercase letters, digits and '-'" };
        var domain = CliOptions.Domain();
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Connect with this kubeconfig file (read at each use, never copied)", HelpName = "FILE" };
        var kubeContext = new Option<string?>("--context") { Description = "The kubeconfig context (default: its current-context)", HelpName = "CONTEXT" };
        var inCluster = new Option<bool>("--in-cluster") { Description = "Connect with the pod's service account (Rotation runs inside this cluster)" };
        var aks = new Option<string?>("--aks") { Description = "Connect to this AKS cluster with Entra ID (DefaultAzureCredential)", HelpName = "RESOURCE_ID" };
        var targets = new Option<string[]>("--target")
        {
            Description = $"What to rotate in the cluster, KIND or KIND:KEY=VALUE,...; KIND is one of {string.Join(", ", TargetCatalog.Kinds)}; repeat for several",
            HelpName = "SPEC",
        };
        var dir = new Option<string?>("--dir") { Description = "A host outside Kubernetes: write the files target's trust bundle and issuer files into this directory", HelpName = "DIR" };
        var reload = new Option<string?>("--reload") { Description = "With --dir: the command that makes the consumer re-read the files, split into argv (no shell)", HelpName = "COMMAND" };
        var endpoints = new Option<string[]>("--endpoint")
        {
            Description = "A TLS endpoint whose handshakes are gate evidence (HOST:PORT, or https://HOST:PORT/PATH for servers such as nginx); repeat for several",
            HelpName = "ENDPOINT",
        };
        var json = CliOptions.Json();
        var command = new Command("add", "Register a cluster and its targets (contacts no cluster: run 'rotation cluster check' next)")
        {
            name, domain, kubeconfig, kubeContext, inCluster, aks, targets, dir, reload, endpoints, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var hostSpec = HostTargets.Spec(parseResult.GetValue(dir), parseResult.GetValue(reload), parseResult.GetValue(endpoints) ?? []);
            var (connection, kubeconfigPath, aksId) = hostSpec.IsHost
                ? HostTargets.RefuseClusterConnection(parseResult, kubeconfig, inCluster, aks)
                : ConnectionOf(parseResult, kubeconfig, inCluster, aks);
            var contextName = parseResult.GetValue(kubeContext);
            if (contextName is not null && connection != ClusterConnectionKind.Kubeconfig)
            {
                throw new UsageException("--context applies only with --kubeconfig");
            }

            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var trustDomain = await DomainSelection.ResolveAsync(services.Store, parseResult.GetValue(domain), cancellationToken);
            var specs = hostSpec.Apply(parseResult.GetValue(targets) ?? []);
            var registration = await services.Clusters.AddAsync(
                new ClusterAddRequest(parseResult.GetValue(name)!, trustDomain.Name, connection, kubeconfigPath, contextName, aksId, specs),
                cancellationToken);
            if (parseResult.GetValue(json))
            {
                CliJson.Write(context.Output, ClusterJson.Of(registration));
                return ExitCodes.Ok;
            }

            Consoles.For(context).MarkupLineInterpolated(
                $"Registered cluster [bold]{registration.Name}[/] in {registration.Domain} ({ClusterText.Connection(registration)}) with {ClusterText.Targets(registration)}. Check it with 'rotation cluster check {registration.Name}'.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(CliContext context, Option<string?> home)
    {
        var domain = CliOptions.Domain();
        var json = CliOptions.Json();
        var command = new Command("list", "Show the registered clusters") { domain, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = CliServices.OpenReadOnly(context, parseResult.GetValue(home));
            var domainName = parseResult.GetValue(domain);
            if (domainName is not null)
            {
                _ = await DomainSelection.ResolveAsync(services.Store, domainName, cancellationToken);
            }

            var clusters = await services.Clusters.ListAsync(domainName, cancellationToken);
            if (parseResult.GetValue(json))
            {
                CliJson.Write(context.Output, clusters.Select(ClusterJson.Of).ToList());
                return ExitCodes.Ok;
            }

            var console = Consoles.For(context);
            if (clusters.Count == 0)
            {
                console.MarkupLine("No clusters registered: add one with 'rotation cluster add NAME --kubeconfig FILE --target istio'.");
                return ExitCodes.Ok;
            }

            new FittingTable<ClusterRegistration>(["Name", "Domain", "Connection", "Targets", "Registered"], (cluster, column) => column switch
            {
                "Name" => Markup.Escape(cluster.Name),
                "Domain" => Markup.Escape(cluster.Domain),
                "Connection" => Markup.Escape(ClusterText.Connection(cluster)),
                "Targets" => Markup.Escape(string.Join(" ", cluster.Targets.Select(TargetSpecParser.Format))),
                _ => TimeText.Instant(cluster.RegisteredAt),
            })
            {
                Expendable = ["Registered", "Domain"],
                Wrappable = ["Connection", "Targets"],
            }.Write(console, clusters);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove(CliContext context, Option<string?> home)
    {
        var name = new Argument<string>("NAME") { Description = "A registered cluster (see 'rotation cluster list')" };
        var json = CliOptions.Json();
        var command = new Command("remove", "Unregister a cluster (refused while its domain has an active rotation); nothing in the cluster changes") { name, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var clusterName = parseResult.GetValue(name)!;
            await services.Clusters.RemoveAsync(clusterName, cancellationToken);
            if (parseResult.GetValue(json))
            {
                CliJson.Write(context.Output, new { removed = clusterName });
                return ExitCodes.Ok;
            }

            Consoles.For(context).MarkupLineInterpolated($"Removed cluster [bold]{clusterName}[/]; rotations no longer touch it.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Check(CliContext context, Option<string?> home)
    {
        var name = new Argument<string>("NAME") { Description = "A registered cluster (see 'rotation cluster list')" };
        var kind = CliOptions.Kind("The rotation to check readiness for: root or intermediate (default root)");
        var json = CliOptions.Json();
        var timeout = CliOptions.Duration("--timeout", "Give up on the cluster after this long and say so (a check line 'timeout')", "30s");
        var command = new Command("check", "Check a cluster: reachable, every permission its targets need, each mesh's preflight; writes nothing") { name, kind, json, timeout.Option };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var asJson = parseResult.GetValue(json);
            // Each check prints as it finishes: on stdout in text, on stderr beside --json.
            var progress = asJson ? Consoles.ForProgress(context) : Consoles.For(context);
            var report = await ClusterCheckRun.RunAsync(services, parseResult.GetValue(name)!, parseResult.GetValue(kind) ?? RotationKind.Root, timeout.ValueOf(parseResult), progress, cancellationToken);
            if (asJson)
            {
                CliJson.Write(context.Output, ClusterJson.Of(report));
            }
            else
            {
                ClusterText.RenderSummary(progress, report);
            }

            if (report.Passed)
            {
                return ExitCodes.Ok;
            }

            var failed = report.Lines.Where(l => !l.Passed).ToList();
            // Drift is a refusal for safety (exit 3): a rotation would overwrite trust the domain does not own.
            var drift = failed.FirstOrDefault(l => l.Check.EndsWith($": {ClusterCheck.DriftCheck}", StringComparison.Ordinal));
            return ErrorReport.Write(context.Error, drift is not null
                ? new UnsafeStepException($"cluster '{report.Cluster}' failed {failed.Count} check(s), drift on '{drift.Check}': {drift.Detail}")
                : new DomainException($"cluster '{report.Cluster}' failed {failed.Count} check(s), first '{failed[0].Check}': {failed[0].Detail}"));
        });
        return command;
    }

    /// <summary>Exactly one of --kubeconfig, --in-cluster, --aks.</summary>
    private static (ClusterConnectionKind Kind, string? Kubeconfig, string? Aks) ConnectionOf(
        ParseResult parseResult, Option<string?> kubeconfig, Option<bool> inCluster, Option<string?> aks)
    {
        var path = parseResult.GetValue(kubeconfig);
        var aksId = parseResult.GetValue(aks);
        var given = new List<string>();
        if (parseResult.GetResult(kubeconfig) is not null)
        {
            given.Add("--kubeconfig");
        }

        if (parseResult.GetValue(inCluster))
        {
            given.Add("--in-cluster");
        }

        if (parseResult.GetResult(aks) is not null)
        {
            given.Add("--aks");
        }

        return given.Count switch
        {
            0 => throw new UsageException("say how to reach the cluster: pass one of --kubeconfig FILE, --in-cluster or --aks RESOURCE_ID"),
            > 1 => throw new UsageException($"{string.Join(" and ", given)} are both given: pass exactly one of --kubeconfig, --in-cluster or --aks"),
            _ => given[0] switch
            {
                "--kubeconfig" => (ClusterConnectionKind.Kubeconfig, path, null),
                "--in-cluster" => (ClusterConnectionKind.InCluster, null, null),
                _ => (ClusterConnectionKind.Aks, null, aksId),
            },
        };
    }
}

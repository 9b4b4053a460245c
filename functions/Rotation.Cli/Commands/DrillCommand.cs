using System.CommandLine;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Rotation.Core.Rotations;
using Rotation.Drill.Drills;
using Rotation.Drill.Estate;
using Rotation.Drill.Kubernetes;
using Rotation.Drill.Traffic;

namespace Rotation.Cli.Commands;

/// <summary>
/// rotation drill: a complete rotation of a simulated estate with real mTLS traffic, in one process. It never
/// touches the operator's home: the drill's store and keys live in a throwaway folder deleted afterwards, or, with
/// --vault/--store/--events, on those adapters under a fresh trust domain (<see cref="DrillAdapters"/>).
/// </summary>
internal static class DrillCommand
{
    public const string Name = "drill";
    public const string Domain = "drill.mesh.internal";

    public static Command Create(CliContext context)
    {
        var clusters = CliOptions.WholeNumber("--clusters", "Simulated clusters (default 3)", "K");
        var workloads = CliOptions.WholeNumber("--workloads", "Workloads per cluster, each a real TLS endpoint (default 4)", "W");
        var leafTtl = CliOptions.Duration("--leaf-ttl", "Workload leaf lifetime; leaves re-issue at 50-80% of it. Unset: 4s, longer for estates whose renewals would use more than a quarter of the cores", "4s");
        var kind = CliOptions.Kind("root or intermediate (default root)");
        var naive = new Option<bool>("--naive") { Description = "Negative control: swap root and issuer at once, no overlap (must fail, exit 3)" };
        var wrongOrder = new Option<bool>("--wrong-order") { Description = "Negative control: issue from the new intermediate before its root is trusted (must fail, exit 3)" };
        var seed = CliOptions.WholeNumber("--seed", "Seed for traffic sampling, to replay a drill's choices", "N");
        var kubernetes = new Option<bool>("--kubernetes") { Description = "Rotate through the Kubernetes adapter: each cluster is a simulated API server running istiod, registered by kubeconfig with an istio target" };
        var aksAddOn = new Option<bool>("--aks-addon") { Description = "With --kubernetes: the clusters run the AKS Istio add-on, reading their plug-in CA from a Key Vault test server through a simulated CSI driver; registered with an aks-istio target" };
        var json = CliOptions.Json();
        var command = new Command(Name, "Rotate a simulated estate of mTLS workloads with the real engine and count every handshake")
        {
            clusters, workloads, leafTtl.Option, kind, naive, wrongOrder, seed, kubernetes, aksAddOn, json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(naive) && result.GetValue(wrongOrder))
            {
                result.AddError("--naive and --wrong-order are two different negative controls: choose one");
            }

            if (result.GetValue(kubernetes) && (result.GetValue(naive) || result.GetValue(wrongOrder)))
            {
                result.AddError("the negative controls run on the in-process estate only: drop --kubernetes or the control");
            }

            if (result.GetValue(aksAddOn) && !result.GetValue(kubernetes))
            {
                result.AddError("--aks-addon needs --kubernetes: the add-on runs on simulated Kubernetes clusters (add --kubernetes)");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var clusterCount = parseResult.GetValue(clusters) ?? 3;
            var perCluster = parseResult.GetValue(workloads) ?? 4;
            var progress = new DrillProgress(context.Error, context.Time);
            var request = new DrillRequest(
                Domain,
                parseResult.GetValue(kind) ?? RotationKind.Root,
                new SimulatedEstateOptions
                {
                    Clusters = clusterCount,
                    WorkloadsPerCluster = perCluster,
                    Cluster = new SimulatedClusterOptions { LeafTtl = parseResult.GetValue(leafTtl.Option) ?? ScaledLeafTtl(clusterCount * perCluster) },
                },
                new DrillOptions { Traffic = new TrafficOptions { Seed = parseResult.GetValue(seed) }, PhaseStarted = progress.Phase });
            var control = parseResult.GetValue(naive) ? NegativeControl.NaiveSwap
                : parseResult.GetValue(wrongOrder) ? NegativeControl.WrongOrder
                : (NegativeControl?)null;

            // A bad estate size is refused before the first progress line, so the refusal stays the only line.
            request.Estate.Validate();
            if (parseResult.GetValue(kubernetes))
            {
                SimulatedIstioFleet.ValidateCount(request.Estate.Clusters);
            }
            if (control is not null && (context.Flags.Vault ?? context.Flags.Store ?? context.Flags.Events) is not null)
            {
                throw new UsageException("the negative controls use no vault, store or sink: drop --vault/--store/--events or the control");
            }

            var mode = control is { } c ? $"negative control {c}"
                : parseResult.GetValue(aksAddOn) ? "kubernetes, aks istio add-on"
                : parseResult.GetValue(kubernetes) ? "kubernetes"
                : "in-process";
            progress.Line($"{mode}: starting {request.Estate.Clusters} cluster(s) x {request.Estate.WorkloadsPerCluster} workload(s)");
            var result = control is { } negative
                ? await EngineDrill.RunNegativeAsync(negative, request, context.Time, cancellationToken)
                : await RunInThrowawayHomeAsync(context, request, parseResult.GetValue(kubernetes), parseResult.GetValue(aksAddOn), progress, cancellationToken);
            result = result with { Report = result.Report with { LeafTtlMs = (long)request.Estate.Cluster.LeafTtl.TotalMilliseconds } };

            progress.Line($"finished: {result.Report.TotalHandshakes} handshakes, {result.Report.TotalFailures} failed");
            if (parseResult.GetValue(json))
            {
                context.Output.WriteLine(result.Report.ToJson());
            }
            else
            {
                DrillView.Render(Consoles.For(context), result, control);
            }

            return ExitCodeFor(result.Report);
        });
        return command;
    }

    /// <summary>
    /// The leaf TTL for an estate of <paramref name="workloads"/> when --leaf-ttl is not given. Below 25 workloads even a
    /// 50 ms renewal stays under the CPU share with 4 s leaves, so nothing is measured and the small drill starts at once.
    /// </summary>
    private static TimeSpan ScaledLeafTtl(int workloads) =>
        workloads < 25
            ? LeafTtlScaling.Minimum
            : LeafTtlScaling.For(workloads, LeafTtlScaling.MeasureRenewalCost(), Environment.ProcessorCount, new SimulatedClusterOptions());

    /// <summary>0 passed, 3 a handshake failed, 5 invalid (a starved machine proves nothing), 1 the rotation erred.</summary>
    public static int ExitCodeFor(DrillReport report) =>
        !report.Valid ? ExitCodes.DrillInvalid
        : report.Passed ? ExitCodes.Ok
        : report.TotalFailures > 0 ? ExitCodes.Unsafe
        : ExitCodes.Error;

    private static async Task<DrillResult> RunInThrowawayHomeAsync(CliContext context, DrillRequest request, bool kubernetes, bool aksAddOn, DrillProgress progress, CancellationToken cancellationToken)
    {
        var time = context.Time;
        var home = Directory.CreateTempSubdirectory("rotation-drill-");
        using var registered = context.Throwaway.Register(home.FullName);
        try
        {
            await using var adapters = DrillAdapters.Open(context, home.FullName);
            request = request with { Domain = adapters.Domain };
            if (adapters.Domain != Domain)
            {
                progress.Line($"adapters: vault {adapters.Report.Vault}, store {adapters.Report.Store}, events {adapters.Report.Events}; trust domain {adapters.Domain}{(adapters.Report.Table is { } table ? $", table {table}" : "")}");
            }

            var drain = adapters.Publisher is { } publisher ? new DrillOutboxDrain(publisher, adapters.Store, adapters.Domain, time) : null;
            DrillResult result;
            using (var stopDraining = new CancellationTokenSource())
            {
                var draining = drain?.RunAsync(stopDraining.Token, cancellationToken) ?? Task.CompletedTask;
                try
                {
                    // Kubernetes: the simulated clusters' kubeconfigs live in the throwaway home and go with it. The
                    // add-on's Key Vault is a test server on loopback that lives as long as the drill.
                    var mesh = aksAddOn ? new SimulatedIstioMesh { AksAddOn = new AksAddOnMesh() } : new SimulatedIstioMesh();
                    result = kubernetes
                        ? await EngineDrill.RunKubernetesAsync(adapters.Store, adapters.Custody, request, home.FullName, time, mesh, cancellationToken)
                        : await EngineDrill.RunAsync(adapters.Store, adapters.Custody, request, time, cancellationToken);
                }
                finally
                {
                    await stopDraining.CancelAsync();
                    await draining;
                }
            }

            var events = drain is null ? null : await drain.FinishAsync(cancellationToken);
            if (!adapters.Embedded)
            {
                var retired = await adapters.RetireDrillKeysAsync(cancellationToken);
                progress.Line($"retired the {retired} CA key(s) of {adapters.Domain} in the {adapters.Report.Vault} vault: a drill's CAs sign nothing after it");
            }

            return result with { Report = result.Report with { Adapters = adapters.Report, Events = events } };
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            // Gone already when a signal's grace ran out first and CliApp removed it (ThrowawayFolders).
            if (Directory.Exists(home.FullName))
                home.Delete(recursive: true);
        }
    }
}

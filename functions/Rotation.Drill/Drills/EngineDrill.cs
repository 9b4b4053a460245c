using Rotation.Core.Authorities;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Drill.Estate;
using Rotation.Drill.Kubernetes;

namespace Rotation.Drill.Drills;

/// <summary>What to rehearse: a trust domain, the kind of rotation, the estate and the traffic.</summary>
public sealed record DrillRequest(string Domain, RotationKind Kind, SimulatedEstateOptions Estate, DrillOptions Drill);

/// <summary>The drill's report and the rotation record it drove (null for negative controls).</summary>
public sealed record DrillResult(DrillReport Report, RotationRecord? Rotation);

/// <summary>
/// The main job on the embedded default: create a trust domain in the given store and key custody, start a simulated
/// estate on its CAs, and rotate it with the real engine (service, step runner, driver) while traffic flows.
/// The only difference from a production run is who approves the point of no return: the drill does.
/// </summary>
public static class EngineDrill
{
    public const string Approver = "drill";

    private static readonly TimeSpan RootValidity = TimeSpan.FromDays(30);
    private static readonly TimeSpan IntermediateValidity = TimeSpan.FromDays(7);

    public static async Task<DrillResult> RunAsync(IStateStore store, IKeyCustody custody, DrillRequest request, TimeProvider time, CancellationToken cancellationToken = default)
    {
        request.Estate.Validate();
        var initial = await InitDomainAsync(store, custody, request.Domain, time, cancellationToken);
        await using var estate = SimulatedEstate.Start(request.Domain, initial, request.Estate, time);
        using var halting = cancellationToken.Register(estate.Halt);
        return await RotateUnderTrafficAsync(store, custody, estate, estate, request, time, cancellationToken);
    }

    /// <summary>
    /// The same drill, but the estate's clusters are simulated Kubernetes API servers running istiod, registered in
    /// <paramref name="store"/> as kubeconfig clusters with an istio target: the engine rotates them through the real
    /// Kubernetes adapter, and each workload trusts its namespace's istio-ca-root-cert ConfigMap and gets its leaves
    /// from the CA istiod loaded. Kubeconfig files go to <paramref name="workDirectory"/>.
    /// </summary>
    public static Task<DrillResult> RunKubernetesAsync(IStateStore store, IKeyCustody custody, DrillRequest request, string workDirectory, TimeProvider time, CancellationToken cancellationToken = default) =>
        RunKubernetesAsync(store, custody, request, workDirectory, time, new SimulatedIstioMesh(), cancellationToken);

    /// <param name="mesh">How the simulated Istio is installed: upstream istiod, or the AKS add-on (<see cref="SimulatedIstioMesh.AksAddOn"/>: Key Vault test server, CSI driver, aks-istio targets).</param>
    public static async Task<DrillResult> RunKubernetesAsync(IStateStore store, IKeyCustody custody, DrillRequest request, string workDirectory, TimeProvider time, SimulatedIstioMesh mesh, CancellationToken cancellationToken = default)
    {
        var run = await StartKubernetesAsync(store, custody, request, workDirectory, time, mesh, cancellationToken);
        await using (run)
        {
            using var halting = cancellationToken.Register(run.Estate.Halt);
            return await run.RotateAsync(cancellationToken);
        }
    }

    /// <summary>Sets up the Kubernetes drill without rotating yet, so a caller (a test) can inspect the clusters afterwards.</summary>
    /// <param name="mesh">How the simulated Istio is installed (release, PCDS) and, for comparison drills, a wrapper around the targets.</param>
    public static Task<KubernetesDrillRun> StartKubernetesAsync(IStateStore store, IKeyCustody custody, DrillRequest request, string workDirectory, TimeProvider time, CancellationToken cancellationToken = default) =>
        StartKubernetesAsync(store, custody, request, workDirectory, time, new SimulatedIstioMesh(), cancellationToken);

    public static async Task<KubernetesDrillRun> StartKubernetesAsync(IStateStore store, IKeyCustody custody, DrillRequest request, string workDirectory, TimeProvider time, SimulatedIstioMesh mesh, CancellationToken cancellationToken = default)
    {
        request.Estate.Validate();
        var initial = await InitDomainAsync(store, custody, request.Domain, time, cancellationToken);
        var fleet = await SimulatedIstioFleet.StartAsync(request.Estate.Clusters, Path.Combine(workDirectory, "kubeconfigs"), initial, request.Estate.Cluster.PropagationDelay, mesh, time, cancellationToken);
        try
        {
            await fleet.RegisterAsync(store, request.Domain, time, cancellationToken);
            var estate = await KubernetesBackedEstate.StartAsync(request.Domain, fleet.Clusters, request.Estate.WorkloadsPerCluster, request.Estate.Cluster, null, time, cancellationToken);
            var resolver = fleet.CreateResolver(store, time);
            var targets = mesh.WrapTargets is { } wrap ? wrap(resolver) : resolver;
            return new KubernetesDrillRun(fleet, estate, resolver, ct => RotateUnderTrafficAsync(store, custody, targets, estate, request, time, ct));
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>`rotation init` of <paramref name="domain"/> (root + intermediate) in the store and custody; returns the first issuer.</summary>
    public static async Task<IssuerMaterial> InitDomainAsync(IStateStore store, IKeyCustody custody, string domain, TimeProvider time, CancellationToken cancellationToken)
    {
        var inventory = await new CaService(store, custody, time).InitAsync(domain, KeyAlgorithm.EcdsaP256, RootValidity, IntermediateValidity, cancellationToken: cancellationToken);
        var root = inventory.ActiveRoot;
        var intermediate = inventory.ActiveIntermediate;
        var key = await custody.ExportAsync(intermediate.Key, cancellationToken);
        return new IssuerMaterial(new CertificateWithKey(intermediate.Certificate, key), [intermediate.Certificate, root.Certificate], TrustBundle.Of(root.Certificate));
    }

    /// <summary>Rotates <paramref name="request"/>.Kind with the real engine through <paramref name="targets"/> while traffic flows over <paramref name="estate"/>.</summary>
    public static async Task<DrillResult> RotateUnderTrafficAsync(IStateStore store, IKeyCustody custody, ITargetResolver targets, IWorkloadEstate estate, DrillRequest request, TimeProvider time, CancellationToken cancellationToken)
    {
        var policy = PolicyFor(request.Estate.Cluster);
        var service = new RotationService(store, custody, targets, time);
        var runner = new RotationStepRunner(store, custody, targets, time);
        var phases = new DrillPhaseTracker();
        var gates = new GateReleaseTracker(estate.MandatoryWaits, time);
        var context = new InProcessWorkflowContext(runner, time, ApproveAsync, cancellationToken)
        {
            Changes = targets as ITargetChangeSignals,
            OnRecord = record =>
            {
                gates.Observe(record);
                phases.Observe(record);
            },
        };

        async Task<bool> ApproveAsync(string id, RotationPhase phase, CancellationToken ct)
        {
            await service.ApproveAsync(id, phase, Approver, ct);
            return true;
        }

        var started = await service.StartAsync(request.Domain, request.Kind, policy, Approver, cancellationToken);
        RotationRecord? finished = null;
        var report = await new DrillRunner(estate, request.Drill, time).RunAsync(
            async _ =>
            {
                finished = await RotationDriver.RunAsync(context, started.Id);
                if (finished.Status != RotationStatus.Completed)
                {
                    throw new InvalidOperationException($"rotation {finished.Id} ended {finished.Status}: {finished.FailureReason ?? finished.Gate?.Reason}");
                }
            },
            phases,
            cancellationToken);
        var goal = targets is SimulatedEstate ? GateReleaseTracker.InProcessGoalMs : GateReleaseTracker.KubernetesGoalMs;
        return new DrillResult(report with { GateRelease = gates.Report(goal) }, finished);
    }

    /// <summary>A negative control over a fresh estate: proof that the drill sees an outage when the order is wrong.</summary>
    public static async Task<DrillResult> RunNegativeAsync(NegativeControl control, DrillRequest request, TimeProvider time, CancellationToken cancellationToken = default)
    {
        request.Estate.Validate();
        var current = DrillAuthorities.Create(request.Domain, "A", time);
        var next = DrillAuthorities.Create(request.Domain, "B", time);
        await using var estate = SimulatedEstate.Start(request.Domain, current.AloneIssuer(), request.Estate, time);
        using var halting = cancellationToken.Register(estate.Halt);
        var report = await NegativeControls.RunAsync(control, estate, next, request.Drill, time, cancellationToken);
        return new DrillResult(report, null);
    }

    /// <summary>
    /// The estate's leaves live seconds, so the leaf gate's time rule and the gate retries shrink to match; the
    /// order of phases and every safety check stay exactly as in production.
    /// </summary>
    public static RotationPolicy PolicyFor(SimulatedClusterOptions cluster) => new()
    {
        MaxLeafTtl = cluster.MaxLeafLifetime,
        LeafGrace = cluster.MaxPropagation,
        GateRetryInitial = TimeSpan.FromMilliseconds(100),
        GateRetryMax = TimeSpan.FromMilliseconds(500),
        RootValidity = RootValidity,
        IntermediateValidity = IntermediateValidity,
    };
}

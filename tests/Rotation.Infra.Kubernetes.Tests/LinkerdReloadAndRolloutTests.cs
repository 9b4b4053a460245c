using System.Text.Json.Nodes;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>
/// The real Linkerd target against the simulated control plane (identity, injector, workload controllers), for the
/// rules of linkerd/linkerd2 at b24cd4059841f8cee2fb7a9c2ac23a693c583579: identity proves it loaded an issuer only by
/// its IssuerUpdated events (pkg/identity/service.go Run; controller/cmd/identity/main.go recordEventFunc names the
/// linkerd-identity Deployment), verifies every issuer against the anchors file it read at start (main.go os.ReadFile,
/// service.go loadCredentials) and that file lags the ConfigMap by the kubelet's sync (kubernetes/website
/// content/en/docs/concepts/configuration/configmap.md, "Mounted ConfigMaps are updated automatically"). Restarts are
/// kubectl's (kubernetes/kubectl 53ef3ab pkg/polymorphichelpers/objectrestarter.go, rollout_status.go).
/// </summary>
public sealed class LinkerdReloadAndRolloutTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;

    private SimulatedKubeClusterHandle Mesh => new(_cluster);

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(controllers: true);
        var store = _cluster.Store;
        store.SeedLinkerd([_pki.A.Root.Certificate], _pki.A.Intermediate);
        store.SeedLinkerdControlPlane(identityReplicas: 2);
        store.PutMeshedWorkload(ResourceKinds.Deployments, "payments", "api");
        store.PutMeshedWorkload(ResourceKinds.StatefulSets, "payments", "db", replicas: 2);
        store.PutMeshedWorkload(ResourceKinds.DaemonSets, "payments", "agent");
        await Eventually.UntilAsync(() => _pki.A.Intermediate.Certificate.Equals(Mesh.Linkerd.LoadedIssuer?.Ca.Certificate)
            && store.List(ResourceKinds.Pods, "payments").Items.Count == 4
            && store.List(ResourceKinds.Pods, "linkerd").Items.Count == 4);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private KubernetesTarget Target() =>
        TargetCatalog.Create(_cluster.Connection, new TargetSpec("linkerd", new Dictionary<string, string> { ["restartNamespaces"] = "payments" }));

    [Fact]
    public async Task The_leaf_gate_waits_for_IssuerUpdated_from_every_identity_replica_and_counts_the_time_rule_from_then()
    {
        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        var before = await Target().ReportLeavesAsync();
        Assert.Null(before.Holds);
        Assert.Contains("Rotation has not written the issuer", before.Note, StringComparison.Ordinal);

        await Task.Delay(TimeSpan.FromSeconds(1.1)); // so the replicas started before the issuer write must prove the reload by events
        var writtenAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));
        var loaded = await Eventually.UntilAsync(() => Target().ReportLeavesAsync(), r => r.Holds is null && r.IssuingSince is not null);

        Assert.True(loaded.Holds is null, loaded.Holds);
        Assert.True(loaded.IssuingSince >= writtenAt, $"{loaded.IssuingSince} < {writtenAt}");
        Assert.Contains("2 IssuerUpdated event(s)", loaded.Note, StringComparison.Ordinal);
        Assert.Equal(2, _cluster.Store.List(ResourceKinds.Events, "linkerd").Items.Count(e => KubeObjects.StringAt(e, "reason") == "IssuerUpdated"));
        Assert.Equal(_pki.B.Intermediate.Certificate, Mesh.Linkerd.LoadedIssuer?.Ca.Certificate);
    }

    [Fact]
    public async Task An_issuer_write_identity_never_notices_holds_the_gate_and_the_reason_says_how_to_restart_identity()
    {
        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        await Task.Delay(TimeSpan.FromSeconds(1.1)); // the replicas must have started before the issuer write
        // Identity sees nothing on disk change, as when the Secret changed and changed back inside one kubelet sync.
        await Mesh.Linkerd.StopAsync();
        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        var held = await Target().ReportLeavesAsync();

        Assert.NotNull(held.Holds);
        Assert.Contains("0 of 2 linkerd-identity replica(s)", held.Holds, StringComparison.Ordinal);
        Assert.Contains("kubectl rollout restart -n linkerd deployment/linkerd-identity", held.Holds, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_identity_restarted_inside_the_volume_lag_skips_the_new_issuer_and_the_gate_holds_with_the_event_reason()
    {
        // The kubelet has not yet updated identity's mounted anchors when the control plane restarts: identity starts
        // with [A] only, and refuses issuer B. The old target reported "not observable" and let the time rule pass
        // while identity kept signing with issuer A.
        Mesh.Linkerd.TrustRootsVolumeLag = TimeSpan.FromHours(1);
        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        await Task.Delay(TimeSpan.FromSeconds(1.1)); // Pod starts and events carry whole seconds; the gate step comes later than this anyway.
        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        var held = await Eventually.UntilAsync(() => Target().ReportLeavesAsync(), r => r.Holds?.Contains("IssuerUpdateSkipped", StringComparison.Ordinal) == true);

        Assert.NotNull(held.Holds);
        Assert.Contains("IssuerUpdateSkipped", held.Holds, StringComparison.Ordinal);
        Assert.Contains("Skipping issuer update as certs could not be read from disk", held.Holds, StringComparison.Ordinal);
        Assert.Contains("kubectl rollout restart -n linkerd deployment/linkerd-identity", held.Holds, StringComparison.Ordinal);
        Assert.Equal(_pki.A.Intermediate.Certificate, Mesh.Linkerd.LoadedIssuer?.Ca.Certificate);

        // Once the file is current, the restart the hold asks for loads issuer B; new replicas prove it by their start.
        Mesh.Linkerd.TrustRootsVolumeLag = TimeSpan.Zero;
        _cluster.Store.Modify(ResourceKinds.ConfigMaps, "linkerd", "linkerd-identity-trust-roots", m => m); // the kubelet's sync
        RolloutRestart(ResourceKinds.Deployments, "linkerd", "linkerd-identity");
        var released = await Eventually.UntilAsync(() => Target().ReportLeavesAsync(), r => r.Holds is null);
        Assert.True(released.Holds is null, released.Holds);
        Assert.Equal(_pki.B.Intermediate.Certificate, Mesh.Linkerd.LoadedIssuer?.Ca.Certificate);
    }

    /// <summary>
    /// Issue 12: identity reads the anchors from its mounted ConfigMap file once at start (controller/cmd/identity/main.go),
    /// and the kubelet updates that file only at its next sync (simulated: TrustRootsVolumeLag). With mountSyncWait
    /// longer than the lag, Rotation restarts every other workload at once but linkerd-identity only after the wait, so
    /// identity starts with A+B and then loads issuer B. The test above (wait zero, inside the lag) shows what a restart
    /// inside the lag does: IssuerUpdateSkipped.
    /// </summary>
    [Fact]
    public async Task Identity_is_not_restarted_inside_the_mount_sync_wait_so_it_starts_with_the_new_anchors_and_loads_the_new_issuer()
    {
        Mesh.Linkerd.TrustRootsVolumeLag = TimeSpan.FromSeconds(1.5);
        var wait = TimeSpan.FromSeconds(2.5);
        var target = TargetCatalog.Create(_cluster.Connection, new TargetSpec("linkerd", new Dictionary<string, string> { ["restartNamespaces"] = "payments", ["mountSyncWait"] = "2.5" }));

        await target.ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));

        var writes = _cluster.Requests.Writes();
        var written = writes.Single(w => w.Request.Resource == "configmaps" && w.Request.Name == "linkerd-identity-trust-roots").At;
        var identityRestart = writes.Single(w => w.Request.Resource == "deployments" && w.Request.Name == "linkerd-identity").At;
        Assert.True(identityRestart - written >= wait, $"identity restarted {(identityRestart - written).TotalSeconds:0.###}s after the trust roots write, inside the {wait.TotalSeconds}s wait");
        var others = writes.Where(w => w.Request.Verb == "patch" && w.Request.Name != "linkerd-identity").ToList();
        Assert.Equal(5, others.Count);   // destination, proxy-injector, api, db, agent: not held by identity's wait
        Assert.All(others, w => Assert.True(w.At < written + wait, $"{w.Request.Name} waited for identity's mount"));

        var anchors = await Eventually.UntilAsync(() => Task.FromResult(Mesh.Linkerd.StartAnchorsPem), a => a is not null && Pem.ReadCertificates(a).Count == 2);
        Assert.Equal(_pki.Both.Fingerprints.Order(), Pem.ReadCertificates(anchors!).Select(c => c.Sha256).Order());

        await Task.Delay(TimeSpan.FromSeconds(1.1)); // pod starts and events carry whole seconds
        await target.ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));
        var loaded = await Eventually.UntilAsync(() => target.ReportLeavesAsync(), r => r.Holds is null && r.IssuingSince is not null);
        Assert.True(loaded.Holds is null, loaded.Holds);
        Assert.Contains("2 IssuerUpdated event(s)", loaded.Note, StringComparison.Ordinal);
        Assert.Equal(_pki.B.Intermediate.Certificate, Mesh.Linkerd.LoadedIssuer?.Ca.Certificate);
        Assert.DoesNotContain(_cluster.Store.List(ResourceKinds.Events, "linkerd").Items, e => KubeObjects.StringAt(e, "reason") == "IssuerUpdateSkipped");
    }

    [Fact]
    public async Task A_mount_sync_wait_that_is_not_a_number_of_seconds_is_refused_with_the_option_named()
    {
        var refused = Assert.Throws<DomainException>(() => TargetCatalog.Create(_cluster.Connection, new TargetSpec("linkerd", new Dictionary<string, string> { ["mountSyncWait"] = "2m" })));
        Assert.Contains("option 'mountSyncWait' must be a number of seconds", refused.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_crash_looping_identity_holds_the_leaf_gate()
    {
        // main.go: an issuer the start anchors do not verify is fatal. Restart identity on anchors without the issuer's root.
        _cluster.Store.PutSecret("linkerd", "linkerd-identity-issuer", new Dictionary<string, string>
        {
            ["tls.crt"] = _pki.B.Intermediate.Certificate.ToPem(),
            ["tls.key"] = _pki.B.Intermediate.Key.ToPkcs8Pem(),
            ["ca.crt"] = _pki.A.Root.Certificate.ToPem(),
        }, "kubernetes.io/tls");
        _cluster.Store.Modify(ResourceKinds.Secrets, "linkerd", "linkerd-identity-issuer", s =>
        {
            s["metadata"]!["annotations"] = new JsonObject { ["rotation.dev/issuer-written-at"] = DateTimeOffset.UtcNow.ToString("O") };
            return s;
        });
        RolloutRestart(ResourceKinds.Deployments, "linkerd", "linkerd-identity");

        var held = await Eventually.UntilAsync(() => Target().ReportLeavesAsync(), r => r.Holds?.Contains("crash-loop", StringComparison.Ordinal) == true);

        Assert.True(Mesh.Linkerd.IdentityCrashLooping);
        Assert.Contains("crash-loop", held.Holds, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatefulSets_and_DaemonSets_are_restarted_a_stuck_rollout_fails_the_step_and_a_re_run_restarts_only_what_is_left()
    {
        var store = _cluster.Store;
        PutPod("payments", "nightly-report-x7k2p", ownerKind: "Job", ownerName: "nightly-report");
        PutPod("payments", "debug-shell", ownerKind: null, ownerName: null);
        Mesh.Workloads.NeverCompleteRollout(ResourceKinds.Deployments, "payments", "api");

        var timedOut = await Assert.ThrowsAsync<TargetUnavailableException>(() => Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust)));

        Assert.Contains("rollout did not finish", timedOut.Reason, StringComparison.Ordinal);
        Assert.Contains("deployment payments/api", timedOut.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("statefulset payments/db", timedOut.Reason, StringComparison.Ordinal);
        var restartedAt = new[] { (ResourceKinds.StatefulSets, "db"), (ResourceKinds.DaemonSets, "agent"), (ResourceKinds.Deployments, "api") }
            .ToDictionary(w => w.Item2, w => RestartedAt(w.Item1, "payments", w.Item2));
        Assert.All(restartedAt, r => Assert.NotNull(r.Value));
        var trust = await Target().ReportTrustAsync();
        Assert.Contains(trust.Stores, s => s.Location.Contains("pod of job nightly-report: Rotation cannot restart a Job", StringComparison.Ordinal) && s.Sha256Fingerprints.Count == 1);
        Assert.Contains(trust.Stores, s => s.Location.Contains("debug-shell (bare pod, no controller", StringComparison.Ordinal));
        Assert.All(trust.Stores.Where(s => s.Location.StartsWith("pod payments/db-", StringComparison.Ordinal) || s.Location.StartsWith("pod payments/agent-", StringComparison.Ordinal)),
            s => Assert.True(s.Sha256Fingerprints.ToHashSet().SetEquals(_pki.Both.Fingerprints), s.Location));

        // The step runs again once the rollout can progress: nothing already restarted after the write is restarted again.
        Mesh.Workloads.Unstick(ResourceKinds.Deployments, "payments", "api");
        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));

        foreach (var (name, at) in restartedAt)
            Assert.Equal(at, RestartedAt(name == "db" ? ResourceKinds.StatefulSets : name == "agent" ? ResourceKinds.DaemonSets : ResourceKinds.Deployments, "payments", name));
        var after = await Eventually.UntilAsync(() => Target().ReportTrustAsync(),
            r => r.Stores.Where(s => s.Location.StartsWith("pod payments/api-", StringComparison.Ordinal)).All(s => s.Sha256Fingerprints.Count == 2));
        var stale = after.Stores.Where(s => !s.Sha256Fingerprints.ToHashSet().SetEquals(_pki.Both.Fingerprints)).Select(s => s.Location).ToList();
        Assert.Equal(2, stale.Count);
        Assert.All(stale, s => Assert.True(s.Contains("nightly-report", StringComparison.Ordinal) || s.Contains("debug-shell", StringComparison.Ordinal), s));
    }

    private string? RestartedAt(ResourceKind kind, string ns, string name) =>
        KubeObjects.StringAt(_cluster.Store.Get(kind, ns, name), "spec", "template", "metadata", "annotations", "kubectl.kubernetes.io/restartedAt");

    private void RolloutRestart(ResourceKind kind, string ns, string name) =>
        _cluster.Store.Modify(kind, ns, name, d =>
        {
            var template = (JsonObject)d["spec"]!["template"]!;
            var metadata = template["metadata"] as JsonObject ?? [];
            template["metadata"] = metadata;
            var annotations = metadata["annotations"] as JsonObject ?? [];
            metadata["annotations"] = annotations;
            annotations["kubectl.kubernetes.io/restartedAt"] = DateTimeOffset.UtcNow.ToString("O");
            return d;
        });

    /// <summary>A meshed pod created through the API (the simulated injector adds the proxy with today's anchors).</summary>
    private void PutPod(string ns, string name, string? ownerKind, string? ownerName)
    {
        var pod = KubeObjects.New(ResourceKinds.Pods, ns, name, new Dictionary<string, string> { ["app"] = name });
        pod["metadata"]!["annotations"] = new JsonObject { [LinkerdNames.InjectAnnotation] = "enabled" };
        if (ownerKind is not null)
            pod["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "batch/v1", ["kind"] = ownerKind, ["name"] = ownerName, ["controller"] = true });
        pod["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "example/job" }) };
        pod["status"] = new JsonObject { ["phase"] = "Running", ["startTime"] = KubeObjects.Timestamp(DateTimeOffset.UtcNow) };
        _cluster.Store.Create(ResourceKinds.Pods, ns, pod, WriteScope.All);
    }

    /// <summary>The simulated controllers behind the cluster.</summary>
    private readonly record struct SimulatedKubeClusterHandle(SimCluster Cluster)
    {
        public LinkerdController Linkerd => Cluster.Mesh!.Linkerd;
        public WorkloadController Workloads => Cluster.Mesh!.Workloads;
    }
}

using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class WorkloadControllerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);

    private static JsonObject MeshedWorkload(ResourceKind kind, string ns, string name, int replicas)
    {
        var workload = KubeObjects.New(kind, ns, name);
        workload["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["labels"] = new JsonObject { ["app"] = name },
                    ["annotations"] = new JsonObject { [LinkerdNames.InjectAnnotation] = "enabled" },
                },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "x" }) },
            },
        };
        return workload;
    }

    [Fact]
    public async Task StatefulSet_restart_recreates_pods_under_their_ordinal_names_with_fresh_trust_anchors()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var rootA = TestPki.Root(Now, "CN=Root A");
        var rootB = TestPki.Root(Now, "CN=Root B");
        h.Server.Store.SeedLinkerd([rootA.Certificate], TestPki.Intermediate(rootA, Now));
        h.Server.Store.EnsureNamespace("data");
        h.Server.Store.Put(ResourceKinds.StatefulSets, MeshedWorkload(ResourceKinds.StatefulSets, "data", "db", 2));
        h.Server.Store.Put(ResourceKinds.DaemonSets, MeshedWorkload(ResourceKinds.DaemonSets, "data", "agent", 5));
        await using var linkerd = new LinkerdController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        await using var workloads = new WorkloadController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        var trust = new ClusterTrustView(h.Server.Store);
        linkerd.Start();
        workloads.Start();
        await Eventually.TrueAsync(() => trust.LinkerdProxyTrustAnchors("data").Count == 3, "2 db pods and 1 agent pod");
        var agentBefore = trust.LinkerdProxyTrustAnchors("data").Keys.Single(k => k.StartsWith("agent-", StringComparison.Ordinal));
        Assert.Contains("db-0", trust.LinkerdProxyTrustAnchors("data").Keys);
        Assert.Contains("db-1", trust.LinkerdProxyTrustAnchors("data").Keys);

        h.Server.Store.PutConfigMap(LinkerdNames.Namespace, LinkerdNames.TrustRootsConfigMap,
            new Dictionary<string, string> { [LinkerdNames.TrustRootsKey] = rootB.Certificate.ToPem() });
        var restart = new V1Patch("""{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"now"}}}}}""", V1Patch.PatchType.MergePatch);
        await h.Client.PatchNamespacedStatefulSetAsync(restart, "db", "data");
        await h.Client.PatchNamespacedDaemonSetAsync(restart, "agent", "data");

        await Eventually.TrueAsync(
            () => trust.LinkerdProxyTrustAnchors("data") is { Count: 3 } all && all.Values.All(v => v == rootB.Certificate.ToPem()),
            "every pod restarted with root B");
        var after = trust.LinkerdProxyTrustAnchors("data").Keys.ToList();
        Assert.Contains("db-0", after);
        Assert.Contains("db-1", after);
        Assert.DoesNotContain(agentBefore, after);
        var sts = await h.Client.ReadNamespacedStatefulSetAsync("db", "data");
        await Eventually.TrueAsync(async () => (await h.Client.ReadNamespacedDaemonSetAsync("agent", "data")).Status?.UpdatedNumberScheduled == 1, "daemonset status");
        Assert.Equal(2, sts.Status.ReadyReplicas);
    }

    [Fact]
    public async Task Scaling_a_deployment_down_deletes_pods_and_a_deleted_pod_is_replaced()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.PutWorkload("apps", "web", replicas: 3);
        await using var workloads = new WorkloadController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        workloads.Start();
        await Eventually.TrueAsync(() => h.Server.Store.List(ResourceKinds.Pods, "apps").Items.Count == 3, "3 pods");

        var victim = KubeObjects.Name(h.Server.Store.List(ResourceKinds.Pods, "apps").Items[0])!;
        await h.Client.DeleteNamespacedPodAsync(victim, "apps");
        await Eventually.TrueAsync(() => h.Server.Store.List(ResourceKinds.Pods, "apps").Items.Count == 3, "replacement pod");
        Assert.Null(h.Server.Store.TryGet(ResourceKinds.Pods, "apps", victim));

        await h.Client.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"replicas":1}}""", V1Patch.PatchType.MergePatch), "web", "apps");
        await Eventually.TrueAsync(() => h.Server.Store.List(ResourceKinds.Pods, "apps").Items.Count == 1, "1 pod");
    }
}

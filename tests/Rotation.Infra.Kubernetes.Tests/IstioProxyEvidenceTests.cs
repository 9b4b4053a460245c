using System.Text.Json.Nodes;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Evidence;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Targets.Istio;
using Rotation.Infra.Kubernetes.Tests.Support;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>
/// Issue 11, evidence per proxy and per istiod replica, end to end: the target reads each meshed pod's Envoy
/// config_dump and each istiod replica's 15014 metrics through the real client's pods/portforward WebSocket, from a
/// simulated cluster whose agents take roots as istio-agent does (PCDS push, else the next certificate refresh at
/// half the workload certificate lifetime) and whose istiod replicas load the mounted cacerts each on their own.
/// </summary>
public sealed class IstioProxyEvidenceTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await SimCluster.StartAsync(controllers: true);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IstioPluginCaTarget Target(Dictionary<string, string>? options = null) =>
        (IstioPluginCaTarget)TargetCatalog.Create(_cluster.Connection, new TargetSpec("istio", options ?? []));

    /// <summary>istiod (multi-root on) with cacerts of hierarchy A; <paramref name="pcds"/> in the mesh config.</summary>
    private void SeedMesh(bool pcds, int istiodReplicas = 1, TimeSpan? certTtl = null)
    {
        _cluster.Store.SeedIstiod(multiRootMesh: true, proxyConfigXdsAgent: pcds);
        if (istiodReplicas != 1)
            _cluster.Store.Modify(ResourceKinds.Deployments, "istio-system", "istiod", d => { d["spec"]!["replicas"] = istiodReplicas; return d; });
        _cluster.Store.PutIstioCaCerts(_pki.A.Intermediate, [_pki.A.Root.Certificate], [_pki.A.Root.Certificate]);
        _cluster.Mesh!.Istio.WorkloadCertTtl = certTtl ?? TimeSpan.FromHours(24);
    }

    /// <summary>A Deployment whose pods carry an injected sidecar (label security.istio.io/tlsMode=istio, container istio-proxy).</summary>
    private void MeshedDeployment(string ns, string name, int replicas, bool? podPcds = null)
    {
        _cluster.Store.EnsureNamespace(ns);
        var deployment = Seed.Deployment(ns, name, [], replicas);
        var template = deployment["spec"]!["template"]!;
        template["metadata"]!["labels"]!["security.istio.io/tlsMode"] = "istio";
        var env = new JsonArray();
        if (podPcds is { } on)
            env.Add(new JsonObject { ["name"] = "PROXY_CONFIG_XDS_AGENT", ["value"] = on ? "true" : "false" });
        ((JsonArray)template["spec"]!["containers"]!).Add(new JsonObject { ["name"] = "istio-proxy", ["image"] = "docker.io/istio/proxyv2:1.26.2", ["env"] = env });
        _cluster.Store.Put(ResourceKinds.Deployments, deployment);
    }

    private async Task WaitForProxiesAsync(int count) =>
        await Eventually.UntilAsync(() => _cluster.Mesh!.Istio.ProxyRootCas.Count == count && _cluster.Mesh.Istio.ProxyRootCas.Values.All(v => v.Length > 0), TimeSpan.FromSeconds(15));

    private async Task WaitForLeaderAsync(string rootText) =>
        await Eventually.UntilAsync(() => _cluster.Mesh!.Istio.HeldRootCertPem == rootText, TimeSpan.FromSeconds(15));

    private string CacertsRoots() => KubeObjects.SecretText(_cluster.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts"), "root-cert.pem")!;

    private GateVerdict Gate(TrustReport report) =>
        TrustEvidence.Evaluate([TargetResult.Ok(report.Target, report)], _pki.Both.Fingerprints.ToList(), [], f => f[..12]);

    private static List<TrustStoreObservation> Proxies(TrustReport report) =>
        report.Stores.Where(s => s.Location.StartsWith("pod ", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task Without_PCDS_the_gate_holds_naming_each_pod_whose_Envoy_lacks_the_new_root_until_its_certificate_refresh()
    {
        // Certificates live 20 s, so each agent refreshes (and learns root B) 10 s after its last certificate.
        SeedMesh(pcds: false, certTtl: TimeSpan.FromSeconds(20));
        MeshedDeployment("shop", "cart", replicas: 2);
        MeshedDeployment("pay", "ledger", replicas: 1);
        await WaitForProxiesAsync(3);
        var target = Target();

        await target.ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        await WaitForLeaderAsync(CacertsRoots());
        var early = await target.ReportTrustAsync();

        // The ConfigMaps and istiod already hold A+B; the Envoys trust only A until their next certificate.
        Assert.All(early.Stores.Where(s => s.Location.StartsWith("configmap ", StringComparison.Ordinal)),
            s => Assert.Contains(_pki.B.Root.Certificate.Sha256, s.Sha256Fingerprints));
        var proxies = Proxies(early);
        Assert.Equal(3, proxies.Count);
        var lacking = proxies.Where(p => !p.Sha256Fingerprints.Contains(_pki.B.Root.Certificate.Sha256)).ToList();
        Assert.NotEmpty(lacking);
        Assert.All(lacking, p => Assert.Equal([_pki.A.Root.Certificate.Sha256], p.Sha256Fingerprints));
        var held = Gate(early);
        Assert.False(held.Satisfied);
        Assert.Contains($"{lacking[0].Location} lacks", held.Reason, StringComparison.Ordinal);

        var late = await Eventually.UntilAsync(() => target.ReportTrustAsync(), r => Gate(r).Satisfied, TimeSpan.FromSeconds(25));
        Assert.True(Gate(late).Satisfied, Gate(late).Reason);
        Assert.All(Proxies(late), p => Assert.Equal(_pki.Both.Fingerprints.Order(), p.Sha256Fingerprints.Order()));
    }

    [Fact]
    public async Task With_PCDS_every_Envoy_trusts_the_new_root_as_soon_as_istiod_pushes_it()
    {
        SeedMesh(pcds: true);
        MeshedDeployment("shop", "cart", replicas: 2);
        await WaitForProxiesAsync(2);
        var target = Target();

        await target.ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        await WaitForLeaderAsync(CacertsRoots());
        var report = await Eventually.UntilAsync(() => target.ReportTrustAsync(), r => Gate(r).Satisfied, TimeSpan.FromSeconds(10));

        // A 24 h certificate would not refresh within the test: only the push can have brought root B.
        Assert.True(Gate(report).Satisfied, Gate(report).Reason);
        Assert.Equal(2, Proxies(report).Count);
    }

    [Fact]
    public async Task A_pod_whose_admin_cannot_be_read_holds_the_gate_by_the_time_rule_and_releases_once_every_proxy_must_have_refreshed()
    {
        SeedMesh(pcds: true);
        MeshedDeployment("shop", "cart", replicas: 2);
        await WaitForProxiesAsync(2);
        var pods = _cluster.Mesh!.Istio.ProxyRootCas.Keys.Order(StringComparer.Ordinal).ToList();
        var refused = pods[0].Split('/');
        _cluster.Server.PodPorts.SetUnreachable(refused[0], refused[1]);
        var target = Target(new() { ["workloadCertTtl"] = "3s", ["trustGrace"] = "1s" });

        await target.ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        await WaitForLeaderAsync(CacertsRoots());
        var early = await target.ReportTrustAsync();

        var unreadable = Assert.Single(Proxies(early), p => p.Location.Contains("unreadable", StringComparison.Ordinal));
        Assert.Contains($"pod {pods[0]} envoy ROOTCA", unreadable.Location, StringComparison.Ordinal);
        Assert.Contains("connection refused", unreadable.Location, StringComparison.Ordinal);
        Assert.Contains("time rule waits until", unreadable.Location, StringComparison.Ordinal);
        Assert.Empty(unreadable.Sha256Fingerprints);
        var held = Gate(early);
        Assert.False(held.Satisfied);
        Assert.Contains("time rule waits until", held.Reason, StringComparison.Ordinal);

        // workloadCertTtl 3 s + grace 1 s after root-cert.pem changed: every agent must have refreshed by then.
        var late = await Eventually.UntilAsync(() => target.ReportTrustAsync(), r => Gate(r).Satisfied, TimeSpan.FromSeconds(10));
        Assert.True(Gate(late).Satisfied, Gate(late).Reason);
        Assert.Contains(Proxies(late), p => p.Location.Contains("time rule: every proxy refreshed its certificate since", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_forbidden_port_forward_is_unreadable_evidence_not_a_crash_and_the_time_rule_says_until_when()
    {
        SeedMesh(pcds: true);
        MeshedDeployment("shop", "cart", replicas: 1);
        await WaitForProxiesAsync(1);
        _cluster.Server.Access.Deny("create", "pods/portforward", "shop");
        var target = Target();

        await target.ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        var report = await target.ReportTrustAsync();

        var proxy = Assert.Single(Proxies(report));
        Assert.Contains("403", proxy.Location, StringComparison.Ordinal);
        Assert.Contains("time rule waits until", proxy.Location, StringComparison.Ordinal);
        Assert.False(Gate(report).Satisfied);
    }

    [Fact]
    public async Task Over_the_sample_size_it_reads_one_pod_per_namespace_first_with_one_pod_list_and_at_most_4_port_forwards_at_once()
    {
        SeedMesh(pcds: true);
        foreach (var ns in new[] { "a", "b", "c", "d" })
            MeshedDeployment(ns, "app", replicas: 3);
        await WaitForProxiesAsync(12);
        var target = Target(new() { ["proxySample"] = "5" });
        _cluster.Requests.Clear();
        _cluster.Server.ResetPeakRequestsInFlight();

        var report = await target.ReportTrustAsync();

        var proxies = Proxies(report);
        Assert.Equal(5, proxies.Count);
        Assert.Equal(["a", "b", "c", "d"], proxies.Select(p => p.Location.Split(' ')[1].Split('/')[0]).Distinct().Order());
        Assert.All(proxies, p => Assert.Equal([_pki.A.Root.Certificate.Sha256], p.Sha256Fingerprints));
        var forwards = _cluster.Requests.Entries.Where(r => r.Request.Subresource == "portforward").ToList();
        Assert.Equal(5, forwards.Count(r => r.Request.Namespace != "istio-system"));
        Assert.Equal(1, forwards.Count(r => r.Request.Namespace == "istio-system"));   // the one istiod replica's metrics
        Assert.Equal(2, _cluster.Requests.Count("list", "pods"));                      // meshed pods, istiod pods
        Assert.InRange(_cluster.Server.PeakRequestsInFlight, 1, 4);

        // The sample is stable: the same pods next time.
        var again = Proxies(await target.ReportTrustAsync()).Select(p => p.Location);
        Assert.Equal(proxies.Select(p => p.Location), again);
    }

    [Fact]
    public async Task A_lagging_istiod_replica_holds_the_leaf_gate_naming_its_pod_until_it_loads_the_new_issuer()
    {
        SeedMesh(pcds: true, istiodReplicas: 2);
        await Eventually.UntilAsync(() => _cluster.Mesh!.Istio.IstiodPodNames().Count == 2 && _cluster.Mesh.Istio.ReplicaCas.Count == 2, TimeSpan.FromSeconds(10));
        var lagging = _cluster.Mesh!.Istio.IstiodPodNames()[1];
        _cluster.Mesh.Istio.DelayReplica(1, TimeSpan.FromMinutes(10));
        var target = Target();
        await target.ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        await Eventually.UntilAsync(() => _cluster.Mesh.Istio.ReplicaRootCertPems[0] == CacertsRoots(), TimeSpan.FromSeconds(10));

        await target.ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));
        await Eventually.UntilAsync(() => _cluster.Mesh.Istio.LoadedCa?.Ca.Certificate == _pki.B.Intermediate.Certificate, TimeSpan.FromSeconds(10));

        var held = await Assert.ThrowsAsync<TargetUnavailableException>(() => target.ReportLeavesAsync());
        Assert.Contains($"istiod pod istio-system/{lagging}", held.Message, StringComparison.Ordinal);
        Assert.Contains("has not loaded the new issuer", held.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_cluster.Mesh.Istio.IstiodPodNames()[0], held.Message, StringComparison.Ordinal);
        var trust = await target.ReportTrustAsync();
        Assert.Contains(trust.Stores, s => s.Location.StartsWith($"istiod pod istio-system/{lagging}", StringComparison.Ordinal) && s.Sha256Fingerprints.Count == 0);

        _cluster.Mesh.Istio.DelayReplica(1, TimeSpan.Zero);
        var leaves = await Eventually.UntilAsync(async () =>
        {
            try
            {
                return await target.ReportLeavesAsync();
            }
            catch (TargetUnavailableException)
            {
                return null;
            }
        }, l => l is not null, TimeSpan.FromSeconds(10));
        Assert.NotNull(leaves);
        Assert.False(leaves.Observable);
        Assert.Contains("all 2 istiod replica(s) serve the cert-chain.pem in cacerts", leaves.Note, StringComparison.Ordinal);
    }
}

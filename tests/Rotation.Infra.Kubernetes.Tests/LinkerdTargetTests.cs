using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;

namespace Rotation.Infra.Kubernetes.Tests;

public sealed class LinkerdTargetTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;
    private RolloutController _rollouts = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync();
        SeedLinkerd.Install(_cluster.Store, _pki.A);
        var anchors = _pki.A.Root.Certificate.ToPem();
        foreach (var name in new[] { "api", "web", "worker", "cron" })
            SeedLinkerd.Workload(_cluster.Store, "payments", name, anchors);
        SeedLinkerd.Workload(_cluster.Store, "payments", "legacy", anchors, injectDisabled: true);
        SeedLinkerd.Workload(_cluster.Store, "batch", "report", anchors);
        _rollouts = new RolloutController(_cluster.Store, TimeSpan.FromMilliseconds(80), (ns, name) => SeedLinkerd.ReplacePods(_cluster.Store, ns, name));
    }

    public async Task DisposeAsync()
    {
        _rollouts.Dispose();
        await _cluster.DisposeAsync();
    }

    private KubernetesTarget Target(string restartNamespaces = "payments") =>
        TargetCatalog.Create(_cluster.Connection, new TargetSpec("linkerd", new Dictionary<string, string> { ["restartNamespaces"] = restartNamespaces, ["restartConcurrency"] = "2" }));

    [Fact]
    public async Task Distributing_trust_writes_the_anchors_and_restarts_the_control_plane_and_opted_in_meshed_workloads_two_at_a_time()
    {
        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));

        var writes = _cluster.Writes().Where(w => w.Request.Resource is "configmaps" or "secrets").Select(w => $"{w.Request.Verb} {w.Request.Resource} {w.Request.Namespace}/{w.Request.Name}").ToList();
        Assert.Equal(["update configmaps linkerd/linkerd-identity-trust-roots", "update secrets linkerd/linkerd-identity-issuer"], writes);
        var map = _cluster.Store.Get(ResourceKinds.ConfigMaps, "linkerd", "linkerd-identity-trust-roots");
        Assert.Equal(_pki.Both.Fingerprints, Pem.ReadCertificates(KubeObjects.ConfigMapText(map, "ca-bundle.crt")!).Select(c => c.Sha256));
        Assert.Equal(
            ["linkerd/linkerd-destination", "linkerd/linkerd-identity", "linkerd/linkerd-proxy-injector", "payments/api", "payments/cron", "payments/web", "payments/worker"],
            _rollouts.Restarted.Order(StringComparer.Ordinal));
        Assert.InRange(_rollouts.MaxInFlight, 1, 2);
        var issuer = _cluster.Store.Get(ResourceKinds.Secrets, "linkerd", "linkerd-identity-issuer");
        Assert.Equal(_pki.A.Intermediate.Certificate.ToPem(), KubeObjects.SecretText(issuer, "tls.crt"));
    }

    [Fact]
    public async Task Running_the_step_again_restarts_nothing_and_writes_nothing()
    {
        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        var restarted = _rollouts.Restarted.Count;
        Assert.Equal("rot-1/DistributeTrust", KubeObjects.Annotations(_cluster.Store.Get(ResourceKinds.Deployments, "payments", "api")).GetValueOrDefault("rotation.dev/restarted-for"));
        _cluster.Requests.Clear();

        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));

        Assert.True(restarted == _rollouts.Restarted.Count, string.Join(",", _rollouts.Restarted) + " | " + string.Join(" | ", _cluster.Requests.Entries));
        Assert.Empty(_cluster.Writes());
    }

    [Fact]
    public async Task Trust_report_names_proxies_still_on_the_old_anchors_and_passes_once_they_restart()
    {
        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));

        var report = await Target().ReportTrustAsync();

        var lacking = report.Stores.Where(s => !s.Sha256Fingerprints.Contains(_pki.B.Root.Certificate.Sha256)).Select(s => s.Location).ToList();
        Assert.Equal(["pod batch/report-pod"], lacking);
        Assert.Equal(1 + 3 + 4 + 1, report.Stores.Count);

        await Target("payments+batch").ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        var after = await Target().ReportTrustAsync();

        Assert.All(after.Stores, s => Assert.True(s.Sha256Fingerprints.ToHashSet().SetEquals(_pki.Both.Fingerprints), s.Location));
    }

    [Fact]
    public async Task Switching_the_issuer_writes_the_issuer_secret_without_the_root_and_restarts_nothing()
    {
        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        var restarted = _rollouts.Restarted.Count;

        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        var issuer = _cluster.Store.Get(ResourceKinds.Secrets, "linkerd", "linkerd-identity-issuer");
        Assert.Equal([_pki.B.Intermediate.Certificate.Sha256], Pem.ReadCertificates(KubeObjects.SecretText(issuer, "tls.crt")!).Select(c => c.Sha256));
        Assert.True(PrivateKey.FromPem(KubeObjects.SecretText(issuer, "tls.key")!).Matches(_pki.B.Intermediate.Certificate));
        Assert.True(TrustBundle.FromPem(KubeObjects.SecretText(issuer, "ca.crt")!).SetEquals(_pki.Both));
        Assert.Equal(restarted, _rollouts.Restarted.Count);
        Assert.Equal("SwitchIssuer", KubeObjects.Annotations(issuer)["rotation.dev/phase"]);
    }

    [Fact]
    public async Task Leaves_are_not_observable()
    {
        var leaves = await Target().ReportLeavesAsync();

        Assert.False(leaves.Observable);
        Assert.NotEmpty(leaves.Note);
    }
}

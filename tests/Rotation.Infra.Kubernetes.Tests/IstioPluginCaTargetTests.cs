using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Targets.Istio;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

public sealed class IstioPluginCaTargetTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await SimCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IstioPluginCaTarget Target() => (IstioPluginCaTarget)TargetCatalog.Create(_cluster.Connection, new TargetSpec("istio", new Dictionary<string, string>()));

    private string Cacerts(string key) => KubeObjects.SecretText(_cluster.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts"), key)!;

    [Fact]
    public async Task Distributing_trust_appends_the_new_root_to_the_existing_bytes_and_writes_only_cacerts()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);
        var before = Cacerts("root-cert.pem");

        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));

        var write = Assert.Single(_cluster.Writes());
        Assert.Equal(("update", "secrets", "istio-system", "cacerts"), (write.Request.Verb, write.Request.Resource, write.Request.Namespace, write.Request.Name));
        var roots = Cacerts("root-cert.pem");
        Assert.StartsWith(before, roots, StringComparison.Ordinal);
        Assert.Equal(_pki.Both.Fingerprints, Pem.ReadCertificates(roots).Select(c => c.Sha256));
        Assert.Equal(_pki.A.Intermediate.Certificate.ToPem(), Cacerts("ca-cert.pem"));
        var secret = _cluster.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts");
        Assert.Equal("rotation", KubeObjects.Labels(secret)["app.kubernetes.io/managed-by"]);
        Assert.Equal("rot-1", KubeObjects.Annotations(secret)["rotation.dev/rotation-id"]);
        Assert.Equal("DistributeTrust", KubeObjects.Annotations(secret)["rotation.dev/phase"]);
        Assert.Contains(_pki.A.Root.Certificate.Sha256[..16], KubeObjects.Annotations(secret)["rotation.dev/previous"], StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", KubeObjects.Annotations(secret)["rotation.dev/previous"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Applying_the_same_bundle_or_issuer_again_writes_nothing()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);
        var target = Target();
        await target.ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        await target.ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));
        var version = KubeObjects.ResourceVersion(_cluster.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts"));
        _cluster.Requests.Clear();

        await target.ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        await target.ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        Assert.Empty(_cluster.Writes());
        Assert.Equal(version, KubeObjects.ResourceVersion(_cluster.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts")));
    }

    [Fact]
    public async Task Switching_the_issuer_under_an_unchanged_root_set_keeps_root_cert_pem_byte_for_byte_and_restarts_nothing()
    {
        // Behaviour change (issue 11): GA istiod reloads equal root-cert.pem bytes in place, so no A+B+B is written.
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);
        var target = Target();
        await target.ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        var before = Cacerts("root-cert.pem");

        await target.ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        var roots = Cacerts("root-cert.pem");
        Assert.Equal(before, roots);
        Assert.Equal(_pki.B.Intermediate.Certificate.ToPem(), Cacerts("ca-cert.pem"));
        Assert.True(PrivateKey.FromPem(Cacerts("ca-key.pem")).Matches(_pki.B.Intermediate.Certificate));
        Assert.Equal([_pki.B.Intermediate.Certificate.Sha256, _pki.B.Root.Certificate.Sha256], Pem.ReadCertificates(Cacerts("cert-chain.pem")).Select(c => c.Sha256));
        Assert.Equal(0, _cluster.Requests.Count("patch", "deployments"));

        await target.ApplyTrustBundleAsync(_pki.OnlyB, Material.Context(RotationPhase.RetireOldRoot));

        var retired = Cacerts("root-cert.pem");
        Assert.Contains(retired, roots, StringComparison.Ordinal);
        Assert.Equal([_pki.B.Root.Certificate.Sha256], Pem.ReadCertificates(retired).Select(c => c.Sha256));
    }

    [Fact]
    public async Task On_1_27_0_beta_0_a_switch_under_unchanged_roots_writes_the_issuer_root_twice_so_istiod_reloads()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true, version: "1.27.0-beta.0");
        var target = Target();
        await target.ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        var before = Cacerts("root-cert.pem");

        await target.ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        var roots = Cacerts("root-cert.pem");
        Assert.StartsWith(before, roots, StringComparison.Ordinal);
        Assert.Equal(
            [_pki.A.Root.Certificate.Sha256, _pki.B.Root.Certificate.Sha256, _pki.B.Root.Certificate.Sha256],
            Pem.ReadCertificates(roots).Select(c => c.Sha256));
        Assert.Equal(0, _cluster.Requests.Count("patch", "deployments"));
    }

    [Fact]
    public async Task Without_multi_root_an_intermediate_switch_on_a_GA_istiod_keeps_root_cert_and_restarts_nothing()
    {
        // Behaviour change (issue 11): equal root-cert.pem bytes reload in place in every GA release, multi-root or not.
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: false);
        using var rollouts = new RolloutController(_cluster.Store, TimeSpan.FromMilliseconds(20));
        var next = TestPki.Intermediate(_pki.A.Root, Material.Now, "CN=Intermediate A2,O=mesh.example.internal");
        var issuer = new Rotation.Core.Ports.IssuerMaterial(next, [next.Certificate, _pki.A.Root.Certificate], _pki.OnlyA);
        var before = Cacerts("root-cert.pem");

        await Target().ApplyIssuerAsync(issuer, Material.Context(RotationPhase.SwitchIssuer, "rot-int"));

        Assert.Equal(before, Cacerts("root-cert.pem"));
        Assert.Equal(next.Certificate.ToPem(), Cacerts("ca-cert.pem"));
        Assert.Empty(rollouts.Restarted);
    }

    [Fact]
    public async Task On_1_27_0_beta_0_without_multi_root_an_intermediate_switch_keeps_root_cert_and_restarts_istiod_once()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: false, version: "1.27.0-beta.0");
        using var rollouts = new RolloutController(_cluster.Store, TimeSpan.FromMilliseconds(20));
        var next = TestPki.Intermediate(_pki.A.Root, Material.Now, "CN=Intermediate A2,O=mesh.example.internal");
        var issuer = new Rotation.Core.Ports.IssuerMaterial(next, [next.Certificate, _pki.A.Root.Certificate], _pki.OnlyA);
        var before = Cacerts("root-cert.pem");

        await Target().ApplyIssuerAsync(issuer, Material.Context(RotationPhase.SwitchIssuer, "rot-int"));
        await Target().ApplyIssuerAsync(issuer, Material.Context(RotationPhase.SwitchIssuer, "rot-int"));

        Assert.Equal(before, Cacerts("root-cert.pem"));
        Assert.Equal(next.Certificate.ToPem(), Cacerts("ca-cert.pem"));
        Assert.Equal(["istio-system/istiod"], rollouts.Restarted);
        var istiod = _cluster.Store.Get(ResourceKinds.Deployments, "istio-system", "istiod");
        Assert.Equal("rot-int/SwitchIssuer", KubeObjects.Annotations(istiod)["rotation.dev/restarted-for"]);
    }

    [Fact]
    public async Task A_step_that_failed_between_the_write_and_the_istiod_restart_restarts_istiod_when_run_again()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: false, version: "1.27.0-beta.0");
        using var rollouts = new RolloutController(_cluster.Store, TimeSpan.FromMilliseconds(20));
        var next = TestPki.Intermediate(_pki.A.Root, Material.Now, "CN=Intermediate A2,O=mesh.example.internal");
        var issuer = new Rotation.Core.Ports.IssuerMaterial(next, [next.Certificate, _pki.A.Root.Certificate], _pki.OnlyA);
        _cluster.Faults.Add("patch", "deployments", Rotation.Infra.Kubernetes.Simulator.Faults.Fault.Status(403, "Forbidden", "deployments.apps \"istiod\" is forbidden"), times: 1);

        var failed = await Assert.ThrowsAsync<Rotation.Core.Ports.TargetUnavailableException>(() => Target().ApplyIssuerAsync(issuer, Material.Context(RotationPhase.SwitchIssuer, "rot-int")));
        Assert.Contains("prod-west", failed.Message, StringComparison.Ordinal);
        Assert.Empty(rollouts.Restarted);

        await Target().ApplyIssuerAsync(issuer, Material.Context(RotationPhase.SwitchIssuer, "rot-int"));

        Assert.Equal(["istio-system/istiod"], rollouts.Restarted);
        Assert.Equal(1, _cluster.Requests.Count("update", "secrets"));
    }

    [Fact]
    public async Task Preflight_refuses_a_root_rotation_without_multi_root_and_says_how_to_enable_it()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: false);

        var root = await Target().PreflightAsync(RotationKind.Root);
        var intermediate = await Target().PreflightAsync(RotationKind.Intermediate);

        Assert.False(root.Passed);
        var failed = Assert.Single(root.Checks, c => !c.Passed);
        Assert.Contains("ISTIO_MULTIROOT_MESH=true", failed.Detail, StringComparison.Ordinal);
        Assert.True(intermediate.Passed);
    }

    [Fact]
    public async Task Preflight_passes_with_multi_root_and_fails_without_a_plugged_in_ca()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);
        Assert.True((await Target().PreflightAsync(RotationKind.Root)).Passed);

        _cluster.Store.Delete(ResourceKinds.Secrets, "istio-system", "cacerts");
        var report = await Target().PreflightAsync(RotationKind.Root);

        Assert.Contains(report.Checks, c => !c.Passed && c.Detail.Contains("self-signed CA", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Trust_report_names_each_namespace_missing_the_new_root_until_istiod_copies_it()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true, namespaces: ["default", "payments", "orders"]);
        var target = Target();
        await target.ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));

        var stale = await target.ReportTrustAsync();

        var lacking = stale.Stores.Where(s => !s.Sha256Fingerprints.Contains(_pki.B.Root.Certificate.Sha256)).Select(s => s.Location).ToList();
        Assert.Equal(["configmap default/istio-ca-root-cert", "configmap orders/istio-ca-root-cert", "configmap payments/istio-ca-root-cert"], lacking);
        Assert.Contains(stale.Stores, s => s.Location.StartsWith("secret istio-system/cacerts", StringComparison.Ordinal) && s.Sha256Fingerprints.Count == 2);

        Seed.IstiodCopiesRoots(_cluster.Store);
        var caughtUp = await target.ReportTrustAsync();

        Assert.Equal(4, caughtUp.Stores.Count);
        Assert.All(caughtUp.Stores, s => Assert.True(s.Sha256Fingerprints.ToHashSet().SetEquals(_pki.Both.Fingerprints), s.Location));
    }

    [Fact]
    public async Task Istiods_own_ConfigMap_counts_only_when_byte_equal_to_cacerts_so_A_B_does_not_confirm_an_A_B_B_write()
    {
        // A fingerprint set cannot tell A+B from A+B+B; the bytes istiod's leader copies (configutil.go insertData) can.
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true, namespaces: ["istio-system", "default"]);
        var both = Pem.WriteCertificates([_pki.A.Root.Certificate, _pki.B.Root.Certificate]);
        var bothAndB = both + _pki.B.Root.Certificate.ToPem();
        _cluster.Store.Modify(ResourceKinds.Secrets, "istio-system", "cacerts", s =>
        {
            s["data"]!["root-cert.pem"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(bothAndB));
            return s;
        });
        foreach (var ns in new[] { "istio-system", "default" })
            _cluster.Store.PutConfigMap(ns, "istio-ca-root-cert", new Dictionary<string, string> { ["root-cert.pem"] = both });
        var gate = (Rotation.Core.Ports.TrustReport r) => Rotation.Core.Rotations.Evidence.TrustEvidence.Evaluate(
            [Rotation.Core.Rotations.Evidence.TargetResult.Ok(r.Target, r)], _pki.Both.Fingerprints.ToList(), [], f => f[..12]);

        var stale = await Target().ReportTrustAsync();

        var leader = Assert.Single(stale.Stores, s => s.Location.StartsWith("configmap istio-system/", StringComparison.Ordinal));
        Assert.Contains("not byte-equal to cacerts root-cert.pem", leader.Location, StringComparison.Ordinal);
        Assert.Empty(leader.Sha256Fingerprints);
        Assert.Contains(stale.Stores, s => s.Location == "configmap default/istio-ca-root-cert" && s.Sha256Fingerprints.Count == 2);
        Assert.False(gate(stale).Satisfied);
        Assert.Contains("configmap istio-system/istio-ca-root-cert", gate(stale).Reason, StringComparison.Ordinal);

        _cluster.Store.PutConfigMap("istio-system", "istio-ca-root-cert", new Dictionary<string, string> { ["root-cert.pem"] = bothAndB });
        var loaded = await Target().ReportTrustAsync();

        Assert.True(gate(loaded).Satisfied, gate(loaded).Reason);
    }

    [Fact]
    public async Task Trust_report_over_2000_namespaces_reads_configmaps_with_at_most_4_paginated_lists()
    {
        var namespaces = _cluster.Store.CreateNamespaces(2000);
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true, namespaces: namespaces);
        _cluster.Requests.Clear();

        var report = await Target().ReportTrustAsync();

        Assert.Equal(2001, report.Stores.Count);
        Assert.InRange(_cluster.Requests.Count("list", "configmaps"), 1, 4);
        Assert.Equal(0, _cluster.Requests.Count("get", "configmaps"));
    }

    [Fact]
    public async Task Leaves_are_reported_as_not_observable_with_the_reason()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);

        var leaves = await Target().ReportLeavesAsync();

        Assert.False(leaves.Observable);
        Assert.Empty(leaves.Leaves);
        Assert.Contains("SDS", leaves.Note, StringComparison.Ordinal);
    }
}

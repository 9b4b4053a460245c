using System.Text.Json.Nodes;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>Linkerd rules from linkerd/linkerd2 at b24cd4059841f8cee2fb7a9c2ac23a693c583579 (edge-26.8.3), through the real target.</summary>
public sealed class LinkerdUpstreamRulesTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;
    private RolloutController _rollouts = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync();
        SeedLinkerd.Install(_cluster.Store, _pki.A);
        SeedLinkerd.Workload(_cluster.Store, "payments", "api", _pki.A.Root.Certificate.ToPem());
        _rollouts = new RolloutController(_cluster.Store, TimeSpan.FromMilliseconds(50), (ns, name) => SeedLinkerd.ReplacePods(_cluster.Store, ns, name));
    }

    public async Task DisposeAsync()
    {
        _rollouts.Dispose();
        await _cluster.DisposeAsync();
    }

    private KubernetesTarget Target() =>
        TargetCatalog.Create(_cluster.Connection, new TargetSpec("linkerd", new Dictionary<string, string> { ["restartNamespaces"] = "payments" }));

    [Fact]
    public async Task Control_plane_proxies_with_valueFrom_anchors_are_judged_by_start_time_and_the_switch_restarts_nothing()
    {
        // charts/partials/templates/_proxy.tpl: control plane proxies read the anchors via valueFrom configMapKeyRef;
        // pkg/healthcheck/healthcheck.go checkPodsProxiesCertificate skips them. The old target saw "no value" and
        // held every gate and restarted the whole control plane at each SwitchIssuer.
        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        var restarted = _rollouts.Restarted.Count;

        var trust = await Target().ReportTrustAsync();
        Assert.All(trust.Stores, s => Assert.True(s.Sha256Fingerprints.ToHashSet().SetEquals(_pki.Both.Fingerprints), s.Location));
        Assert.Contains(trust.Stores, s => s.Location.StartsWith("pod linkerd/linkerd-identity-pod (anchors from configmap, restarted", StringComparison.Ordinal));

        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        Assert.Equal(restarted, _rollouts.Restarted.Count);
    }

    [Fact]
    public async Task A_control_plane_proxy_started_before_the_trust_roots_were_written_is_named_until_it_restarts()
    {
        // Without a restart (no rollout controller), the pod keeps what the ConfigMap held when its container started.
        _rollouts.Dispose();

        // The rollouts never finish, so the step fails naming them (a timed-out rollout no longer passes silently).
        var timedOut = await Assert.ThrowsAsync<Rotation.Core.Ports.TargetUnavailableException>(() => Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust)));
        // linkerd-identity is restarted last (after the mount sync wait), so the control plane's other Deployments are the ones named.
        Assert.Contains("deployment linkerd/linkerd-destination", timedOut.Reason, StringComparison.Ordinal);
        var trust = await Target().ReportTrustAsync();

        var stale = trust.Stores.Single(s => s.Location.StartsWith("pod linkerd/linkerd-identity-pod", StringComparison.Ordinal));
        Assert.Empty(stale.Sha256Fingerprints);
        Assert.Contains("restart it", stale.Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_refuses_an_issuer_secret_that_cert_manager_issues()
    {
        _cluster.Store.Modify(ResourceKinds.Secrets, "linkerd", "linkerd-identity-issuer", s =>
        {
            s["metadata"]!["annotations"] = new JsonObject { ["cert-manager.io/certificate-name"] = "linkerd-identity-issuer" };
            return s;
        });

        var report = await Target().PreflightAsync(RotationKind.Root);

        var check = Assert.Single(report.Checks, c => !c.Passed);
        Assert.Equal("issuer ownership", check.Name);
        Assert.Contains("cert-manager Certificate linkerd/linkerd-identity-issuer", check.Detail, StringComparison.Ordinal);
        Assert.Contains("delete the Certificate", check.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linkerd.io/created-by", "linkerd/cli edge-26.8.3", "the Linkerd chart")]
    [InlineData("meta.helm.sh/release-name", "linkerd-control-plane", "Helm release linkerd-control-plane")]
    public async Task Preflight_refuses_trust_roots_another_tool_writes(string annotation, string value, string owner)
    {
        _cluster.Store.Modify(ResourceKinds.ConfigMaps, "linkerd", "linkerd-identity-trust-roots", m =>
        {
            m["metadata"]!["annotations"] = new JsonObject { [annotation] = value };
            return m;
        });

        var report = await Target().PreflightAsync(RotationKind.Root);

        var check = Assert.Single(report.Checks, c => !c.Passed);
        Assert.Equal("trust roots ownership", check.Name);
        Assert.Contains(owner, check.Detail, StringComparison.Ordinal);
        Assert.Contains("identity.externalCA=true", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_reports_trust_manager_owned_trust_roots()
    {
        _cluster.Store.Modify(ResourceKinds.ConfigMaps, "linkerd", "linkerd-identity-trust-roots", m =>
        {
            m["metadata"]!["labels"] = new JsonObject { ["trust.cert-manager.io/bundle"] = "linkerd-identity-trust-roots" };
            return m;
        });

        var report = await Target().PreflightAsync(RotationKind.Root);

        Assert.Contains("trust-manager Bundle linkerd-identity-trust-roots", Assert.Single(report.Checks, c => !c.Passed).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_linkerd_scheme_writes_crt_pem_and_key_pem_and_a_mismatched_secret_is_refused()
    {
        // controller/cmd/identity/main.go: -identity-scheme=linkerd.io/tls reads crt.pem/key.pem (pkg/k8s/labels.go).
        _cluster.Store.Modify(ResourceKinds.Deployments, "linkerd", "linkerd-identity", d =>
        {
            d["spec"]!["template"]!["spec"]!["containers"]![0]!["args"] = new JsonArray("identity", "-identity-scheme=linkerd.io/tls");
            return d;
        }, WriteScope.All);

        var refused = await Target().PreflightAsync(RotationKind.Intermediate);
        var scheme = Assert.Single(refused.Checks, c => c.Name == "issuer scheme");
        Assert.False(scheme.Passed);
        Assert.Contains("does not hold crt.pem and key.pem", scheme.Detail, StringComparison.Ordinal);
        Assert.Contains("1.00:00:00 (Linkerd's default", Assert.Single(refused.Checks, c => c.Name == "version").Detail, StringComparison.Ordinal);

        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.OnlyA), Material.Context(RotationPhase.SwitchIssuer));

        var secret = _cluster.Store.Get(ResourceKinds.Secrets, "linkerd", "linkerd-identity-issuer");
        Assert.Equal(_pki.B.Intermediate.Certificate.Sha256, Pem.ReadCertificates(KubeObjects.SecretText(secret, "crt.pem")!)[0].Sha256);
        Assert.True(PrivateKey.FromPem(KubeObjects.SecretText(secret, "key.pem")!).Matches(_pki.B.Intermediate.Certificate));
        Assert.True((await Target().PreflightAsync(RotationKind.Intermediate)).Checks.Single(c => c.Name == "issuer scheme").Passed);
    }

    [Fact]
    public async Task The_issuance_lifetime_is_read_from_the_identity_deployment()
    {
        var report = await Target().PreflightAsync(RotationKind.Root);

        Assert.Contains("2.00:00:00 (-identity-issuance-lifetime)", Assert.Single(report.Checks, c => c.Name == "version").Detail, StringComparison.Ordinal);
    }
}

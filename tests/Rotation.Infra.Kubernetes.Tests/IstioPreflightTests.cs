using System.Text.Json.Nodes;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Targets.Istio;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>The Istio target's preflight refusals (issue 11): each names what it found and what to do.</summary>
public sealed class IstioPreflightTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await SimCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IstioPluginCaTarget Target(Dictionary<string, string>? options = null) =>
        (IstioPluginCaTarget)TargetCatalog.Create(_cluster.Connection, new TargetSpec("istio", options ?? []));

    private async Task<PreflightCheck> FailedAsync(RotationKind kind, string check, Dictionary<string, string>? options = null)
    {
        var report = await Target(options).PreflightAsync(kind);
        Assert.False(report.Passed);
        return Assert.Single(report.Checks, c => !c.Passed && c.Name == check);
    }

    private void Pod(string ns, string name, JsonObject? pcdsEnv, DateTimeOffset? startedAt = null, Dictionary<string, string>? labels = null)
    {
        _cluster.Store.EnsureNamespace(ns);
        var pod = KubeObjects.New(ResourceKinds.Pods, ns, name, labels ?? new() { ["security.istio.io/tlsMode"] = "istio" });
        var env = new JsonArray();
        if (pcdsEnv is not null)
            env.Add(pcdsEnv);
        pod["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray(
                new JsonObject { ["name"] = "app", ["image"] = "example/app:1" },
                new JsonObject { ["name"] = "istio-proxy", ["image"] = "docker.io/istio/proxyv2:1.26.2", ["env"] = env }),
        };
        pod["status"] = new JsonObject
        {
            ["phase"] = "Running",
            ["startTime"] = (startedAt ?? DateTimeOffset.UtcNow).ToString("yyyy-MM-ddTHH:mm:ssZ"),
        };
        _cluster.Store.Put(ResourceKinds.Pods, pod);
    }

    private static JsonObject Env(string value) => new() { ["name"] = "PROXY_CONFIG_XDS_AGENT", ["value"] = value };

    [Theory]
    [InlineData("1")]
    [InlineData("t")]
    [InlineData("T")]
    [InlineData("TRUE")]
    [InlineData("true")]
    [InlineData("True")]
    public async Task Pcds_values_are_read_as_Go_booleans(string value)
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true, pcds: value);
        Pod("payments", "api-0", Env(value));

        var report = await Target().PreflightAsync(RotationKind.Root);

        Assert.True(report.Passed, string.Join("; ", report.Checks.Where(c => !c.Passed).Select(c => c.Detail)));
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("on")]
    [InlineData("false")]
    public async Task A_root_rotation_is_refused_when_the_mesh_config_does_not_turn_PCDS_on(string value)
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true, pcds: value);

        var failed = await FailedAsync(RotationKind.Root, "PCDS");

        Assert.Contains($"PROXY_CONFIG_XDS_AGENT=\"{value}\"", failed.Detail, StringComparison.Ordinal);
        Assert.Contains("meshConfig.defaultConfig.proxyMetadata.PROXY_CONFIG_XDS_AGENT", failed.Detail, StringComparison.Ordinal);
        Assert.True((await Target().PreflightAsync(RotationKind.Intermediate)).Passed);
    }

    [Fact]
    public async Task A_root_rotation_is_refused_naming_pods_whose_sidecar_runs_without_PCDS_or_takes_it_from_valueFrom()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);
        Pod("payments", "api-0", Env("true"));
        Pod("payments", "old-0", null);
        Pod("orders", "web-0", new JsonObject
        {
            ["name"] = "PROXY_CONFIG_XDS_AGENT",
            ["valueFrom"] = new JsonObject { ["configMapKeyRef"] = new JsonObject { ["name"] = "proxy-flags", ["key"] = "pcds" } },
        });

        var failed = await FailedAsync(RotationKind.Root, "PCDS");

        Assert.Contains("pod payments/old-0: istio-proxy env PROXY_CONFIG_XDS_AGENT is not set (default false)", failed.Detail, StringComparison.Ordinal);
        Assert.Contains("pod orders/web-0: PROXY_CONFIG_XDS_AGENT comes from valueFrom (configMapKeyRef proxy-flags/pcds)", failed.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("api-0", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stale_ca_crl_pem_is_refused_naming_the_key_and_the_certificates_that_did_not_sign_it()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true, version: "1.28.1"); // CRL support: 1.27+
        AddToCacerts("ca-crl.pem", TestCrls.SignedBy(_pki.A.Root));

        var failed = await FailedAsync(RotationKind.Intermediate, "ca-crl.pem");

        Assert.Contains("holds ca-crl.pem", failed.Detail, StringComparison.Ordinal);
        Assert.Contains("already stale", failed.Detail, StringComparison.Ordinal);
        Assert.Contains(_pki.A.Intermediate.Certificate.Subject, failed.Detail, StringComparison.Ordinal);
        Assert.Contains("PILOT_ENABLE_CA_CRL=false", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_current_ca_crl_pem_is_still_refused_because_the_new_chain_will_not_have_signed_it_unless_CRL_is_off()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true, version: "1.28.1"); // CRL support: 1.27+
        AddToCacerts("ca-crl.pem", TestCrls.SignedBy(_pki.A.Intermediate, _pki.A.Root));

        var failed = await FailedAsync(RotationKind.Root, "ca-crl.pem");
        Assert.Contains("not by the chain Rotation will write", failed.Detail, StringComparison.Ordinal);

        var istiod = _cluster.Store.Get(ResourceKinds.Deployments, "istio-system", "istiod");
        ((JsonArray)istiod["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!).Add(new JsonObject { ["name"] = "PILOT_ENABLE_CA_CRL", ["value"] = "0" });
        _cluster.Store.Put(ResourceKinds.Deployments, istiod);
        Assert.True((await Target().PreflightAsync(RotationKind.Root)).Passed);
    }

    [Fact]
    public async Task Istiod_before_1_27_does_not_read_ca_crl_pem_so_it_does_not_block()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true, version: "1.26.2");
        AddToCacerts("ca-crl.pem", TestCrls.SignedBy(_pki.A.Root));

        Assert.True((await Target().PreflightAsync(RotationKind.Root)).Passed);
    }

    [Fact]
    public async Task A_tls_crt_in_cacerts_is_refused_because_istiod_would_sign_from_it()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);
        AddToCacerts("tls.crt", _pki.A.Intermediate.Certificate.ToPem());

        var failed = await FailedAsync(RotationKind.Intermediate, "cacerts format");

        Assert.Contains("holds tls.crt", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Istiod_1_19_refuses_a_root_rotation_but_not_an_intermediate_one()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true, version: "1.19.10");

        var failed = await FailedAsync(RotationKind.Root, "version");

        Assert.Contains("istiod 1.19.10 refuses every change of root-cert.pem", failed.Detail, StringComparison.Ordinal);
        Assert.True((await Target().PreflightAsync(RotationKind.Intermediate)).Passed);
    }

    [Fact]
    public async Task An_unreadable_version_is_refused_until_the_istiodVersion_option_names_it()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);
        var istiod = _cluster.Store.Get(ResourceKinds.Deployments, "istio-system", "istiod");
        istiod["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "registry.example/pilot@sha256:abc";
        _cluster.Store.Put(ResourceKinds.Deployments, istiod);

        var failed = await FailedAsync(RotationKind.Intermediate, "version");

        Assert.Contains("istiodVersion", failed.Detail, StringComparison.Ordinal);
        Assert.True((await Target(new() { ["istiodVersion"] = "1.26.2" }).PreflightAsync(RotationKind.Root)).Passed);
        Assert.Throws<DomainException>(() => Target(new() { ["istiodVersion"] = "latest" }));
    }

    [Fact]
    public async Task Istiod_publishing_a_root_that_is_not_in_cacerts_has_no_watcher_and_must_restart_first()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);
        _cluster.Store.PutConfigMap("istio-system", "istio-ca-root-cert", new Dictionary<string, string> { ["root-cert.pem"] = _pki.B.Root.Certificate.ToPem() });

        var failed = await FailedAsync(RotationKind.Intermediate, "cacerts watcher");

        Assert.Contains("does not watch cacerts", failed.Detail, StringComparison.Ordinal);
        Assert.Contains("kubectl rollout restart deployment/istiod -n istio-system", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_istiod_pod_that_started_before_cacerts_existed_must_restart_first()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);
        Pod("istio-system", "istiod-abc", null, DateTimeOffset.UtcNow.AddHours(-1), new() { ["app"] = "istiod" });

        var failed = await FailedAsync(RotationKind.Root, "cacerts watcher");

        Assert.Contains("istiod-abc started before secret istio-system/cacerts was created", failed.Detail, StringComparison.Ordinal);
    }

    private void AddToCacerts(string key, string value)
    {
        var secret = _cluster.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts");
        secret["data"]![key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value));
        _cluster.Store.Put(ResourceKinds.Secrets, secret);
    }
}

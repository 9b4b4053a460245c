using System.Diagnostics;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator.Faults;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>Conflicts, throttling, server errors, slow answers, dropped connections and a cluster that is gone, over real HTTP.</summary>
public sealed class ResilienceTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(options: SimCluster.FastOptions(attemptTimeout: TimeSpan.FromMilliseconds(500)));
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IRotationTarget Istio() => TargetCatalog.Create(_cluster.Connection, new TargetSpec("istio", new Dictionary<string, string>()));

    private string RootCert() => KubeObjects.SecretText(_cluster.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts"), "root-cert.pem")!;

    private int Updates(int status) => _cluster.Requests.Count(r => r.Request.Verb == "update" && r.Request.Resource == "secrets" && r.StatusCode == status);

    [Fact]
    public async Task A_conflict_rereads_and_keeps_the_other_writers_change_without_writing_twice()
    {
        var raced = false;
        _cluster.Faults.Add(request =>
        {
            if (raced || request.Verb != "update" || request.Resource != "secrets")
                return false;
            raced = true;
            // Someone else writes the secret between our read and our write.
            _cluster.Store.Modify(ResourceKinds.Secrets, "istio-system", "cacerts", s =>
            {
                s["data"]!["other.txt"] = Convert.ToBase64String("kept"u8.ToArray());
                return s;
            }, WriteScope.All);
            return true;
        }, Fault.Conflict(), times: 1);

        await Istio().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));

        Assert.Equal(1, Updates(409));
        Assert.Equal(1, Updates(200));
        var secret = _cluster.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts");
        Assert.Equal("kept", KubeObjects.SecretText(secret, "other.txt"));
        Assert.Equal(_pki.Both.Fingerprints, Pem.ReadCertificates(RootCert()).Select(c => c.Sha256));
    }

    [Fact]
    public async Task Too_many_requests_waits_for_retry_after_then_succeeds()
    {
        _cluster.Faults.Add("update", "secrets", Fault.TooManyRequests(retryAfterSeconds: 1), times: 1);
        var clock = Stopwatch.StartNew();

        await Istio().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.95), $"retried after {clock.Elapsed}");
        Assert.Equal(1, Updates(429));
        Assert.Equal(1, Updates(200));
    }

    [Fact]
    public async Task A_retry_after_longer_than_the_cap_is_capped()
    {
        var capped = new KubernetesAdapterOptions { Retry = new KubernetesRetryOptions { MaxAttempts = 3, MaxRetryAfter = TimeSpan.FromMilliseconds(200) } };
        using var fast = new Clusters.ClusterConnectionFactory(capped).Connect(_cluster.Name, _cluster.Server.CreateClientConfiguration());
        _cluster.Faults.Add("list", "configmaps", Fault.TooManyRequests(retryAfterSeconds: 3600), times: 1);
        var clock = Stopwatch.StartNew();

        var report = await TargetCatalog.Create(fast, new TargetSpec("istio", new Dictionary<string, string>())).ReportTrustAsync();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Equal(3, report.Stores.Count);
    }

    [Fact]
    public async Task Server_errors_are_retried_with_backoff()
    {
        _cluster.Faults.Add("get", "configmaps", Fault.InternalError(), times: 2);
        _cluster.Faults.Add("list", "configmaps", Fault.ServiceUnavailable(), times: 2);

        var report = await Istio().ReportTrustAsync();

        Assert.Equal(3, report.Stores.Count);
        Assert.Equal(3, _cluster.Requests.Count("list", "configmaps"));
    }

    [Fact]
    public async Task A_slow_answer_is_abandoned_and_retried()
    {
        _cluster.Faults.Add("list", "configmaps", Fault.Slow(TimeSpan.FromSeconds(3)), times: 1);
        var clock = Stopwatch.StartNew();

        var report = await Istio().ReportTrustAsync();

        Assert.Equal(3, report.Stores.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_dropped_connection_is_retried_and_the_write_lands_once()
    {
        _cluster.Faults.Add("update", "secrets", Fault.Abort(), times: 1);

        await Istio().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));

        Assert.Equal(1, Updates(200));
        Assert.Equal(2, Pem.ReadCertificates(RootCert()).Count);
    }

    [Fact]
    public async Task An_unreachable_cluster_is_reported_unavailable_by_name()
    {
        await _cluster.Server.StopListeningAsync();

        var ex = await Assert.ThrowsAsync<TargetUnavailableException>(() => Istio().ReportTrustAsync());

        Assert.Equal("prod-west/istio", ex.Target);
        Assert.Contains("cluster 'prod-west'", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_that_outlast_the_retries_make_the_target_unavailable_and_change_nothing()
    {
        _cluster.Faults.Add("update", "secrets", Fault.InternalError("etcd is down"));
        var before = RootCert();

        var ex = await Assert.ThrowsAsync<TargetUnavailableException>(() => Istio().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust)));

        Assert.Contains("etcd is down", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(_cluster.Options.Retry.MaxAttempts, Updates(500));
        Assert.Equal(before, RootCert());
    }

    [Fact]
    public async Task Forbidden_names_the_missing_permission_path_and_points_at_the_rbac()
    {
        _cluster.Faults.Add("get", "secrets", Fault.Status(403, "Forbidden", "secrets \"cacerts\" is forbidden: User \"rotation\" cannot get resource \"secrets\""));

        var ex = await Assert.ThrowsAsync<TargetUnavailableException>(() => Istio().ReportTrustAsync());

        Assert.Contains("forbidden", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("docs/targets.md", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(1, _cluster.Requests.Count("get", "secrets"));
    }
}

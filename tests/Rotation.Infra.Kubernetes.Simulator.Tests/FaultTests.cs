using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Rotation.Infra.Kubernetes.Simulator.Faults;
using Rotation.Infra.Kubernetes.Simulator.Seeding;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class FaultTests
{
    [Theory]
    [InlineData(409, "Conflict")]
    [InlineData(500, "InternalError")]
    [InlineData(503, "ServiceUnavailable")]
    public async Task Status_faults_surface_as_http_operation_exceptions_with_their_code(int code, string reason)
    {
        await using var h = await SimulatorHarness.StartAsync();
        var fault = code switch
        {
            409 => Fault.Conflict(),
            500 => Fault.InternalError(),
            _ => Fault.ServiceUnavailable(),
        };
        h.Server.Faults.Add("get", "namespaces", fault, times: 1);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.ReadNamespaceAsync("default"));
        var after = await h.Client.ReadNamespaceAsync("default");

        Assert.Equal((HttpStatusCode)code, e.Response.StatusCode);
        Assert.Equal(reason, SimulatorHarness.StatusOf(e).Reason);
        Assert.Equal("default", after.Metadata.Name);
    }

    [Fact]
    public async Task Too_many_requests_carries_a_retry_after_header_the_client_can_read()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Faults.Add("list", "configmaps", Fault.TooManyRequests(retryAfterSeconds: 3), times: 1);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.ListConfigMapForAllNamespacesAsync());

        Assert.Equal(HttpStatusCode.TooManyRequests, e.Response.StatusCode);
        Assert.Equal(["3"], e.Response.Headers["Retry-After"]);
    }

    [Fact]
    public async Task A_count_limited_fault_fails_exactly_that_many_matching_calls()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var rule = h.Server.Faults.Add("get", "namespaces", Fault.ServiceUnavailable(), times: 2);

        var outcomes = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            try
            {
                await h.Client.ReadNamespaceAsync("default");
                outcomes.Add(true);
            }
            catch (HttpOperationException)
            {
                outcomes.Add(false);
            }
        }

        await h.Client.ListNamespaceAsync(); // another verb: never matched
        Assert.Equal([false, false, true, true], outcomes);
        Assert.Equal(2, rule.Hits);
        Assert.Equal(0, rule.Remaining);
    }

    [Fact]
    public async Task A_predicate_fault_hits_only_matching_requests()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.EnsureNamespace("istio-system");
        h.Server.Faults.Add(r => r.Verb == "update" && r.Namespace == "istio-system", Fault.InternalError());
        var cm = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } };
        await h.Client.CreateNamespacedConfigMapAsync(cm, "istio-system");
        await h.Client.CreateNamespacedConfigMapAsync(cm, "default");

        await h.Client.ReplaceNamespacedConfigMapAsync(cm, "c", "default");
        await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.ReplaceNamespacedConfigMapAsync(cm, "c", "istio-system"));
    }

    [Fact]
    public async Task A_dropped_connection_is_an_http_request_exception()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Faults.Add("get", "secrets", Fault.Abort(), times: 1);
        h.Server.Store.PutSecret("default", "s", new Dictionary<string, string> { ["k"] = "v" });

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => h.Client.ReadNamespacedSecretAsync("s", "default"));
        var after = await h.Client.ReadNamespacedSecretAsync("s", "default");

        Assert.Equal("s", after.Metadata.Name);
        Assert.Equal(0, h.Server.Requests.Entries[0].StatusCode);
    }

    [Fact]
    public async Task A_slow_fault_delays_the_answer_and_then_serves_it()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Faults.Add("get", "namespaces", Fault.Slow(TimeSpan.FromMilliseconds(300)), times: 1);

        var watch = Stopwatch.StartNew();
        var ns = await h.Client.ReadNamespaceAsync("default");

        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(280), $"answered after {watch.Elapsed}");
        Assert.Equal("default", ns.Metadata.Name);
    }

    [Fact]
    public async Task A_slow_fault_trips_a_client_cancellation()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Faults.Add("get", "namespaces", Fault.Slow(TimeSpan.FromSeconds(5)), times: 1);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Client.ReadNamespaceAsync("default", cancellationToken: cts.Token));
    }

    [Fact]
    public async Task An_unreachable_server_refuses_connections_and_keeps_its_state_when_it_comes_back()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.PutConfigMap("default", "kept", new Dictionary<string, string> { ["a"] = "1" });
        var address = h.Server.BaseAddress;

        await h.Server.StopListeningAsync();
        var refused = await Assert.ThrowsAnyAsync<HttpRequestException>(() => h.Client.ReadNamespacedConfigMapAsync("kept", "default"));
        await h.Server.ResumeListeningAsync();
        var back = await h.Client.ReadNamespacedConfigMapAsync("kept", "default");

        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, (refused.InnerException as System.Net.Sockets.SocketException)?.SocketErrorCode);
        Assert.Equal(address, h.Server.BaseAddress);
        Assert.Equal("1", back.Data["a"]);
    }

    [Fact]
    public async Task Bearer_token_is_required_when_configured()
    {
        await using var h = await SimulatorHarness.StartAsync(new SimulatedKubeApiServerOptions { BearerToken = "s3cret" });
        using var anonymous = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = h.Server.BaseAddress.ToString() });

        await h.Client.ReadNamespaceAsync("default");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => anonymous.ReadNamespaceAsync("default"));

        Assert.Equal(HttpStatusCode.Unauthorized, e.Response.StatusCode);
    }
}

using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rotation.Infra.Kubernetes.Simulator.Api;
using Rotation.Infra.Kubernetes.Simulator.Faults;
using Rotation.Infra.Kubernetes.Simulator.PortForward;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator;

/// <summary>
/// A Kubernetes API server on loopback (plain HTTP) that the real KubernetesClient talks to. State lives in
/// <see cref="Store"/>, which outlives stop/resume, so a test can make the cluster unreachable and bring it back.
/// </summary>
public sealed partial class SimulatedKubeApiServer : IAsyncDisposable
{
    private readonly SimulatedKubeApiServerOptions _options;
    private readonly KubeApiHandler _handler;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private WebApplication? _app;
    private int _port;
    private int _inFlight;
    private int _peakInFlight;

    public SimulatedKubeApiServer(SimulatedKubeApiServerOptions? options = null)
    {
        _options = options ?? new SimulatedKubeApiServerOptions();
        Store = new KubeObjectStore(_options.TimeProvider);
        _handler = new KubeApiHandler(Store, new ListPager(_options.ListSnapshotCapacity), Access);
        Watches = new WatchHistory(Store, _options.WatchHistoryCapacity);
    }

    /// <summary>The window watches start and resume from; <c>DropAll</c> and <c>Compact</c> are the watch faults.</summary>
    public WatchHistory Watches { get; }

    public KubeObjectStore Store { get; }

    public FaultInjector Faults { get; } = new();

    /// <summary>The simulated user's RBAC: allow-all until denied.</summary>
    public AccessPolicy Access { get; } = new();

    public RequestLog Requests { get; } = new();

    /// <summary>What listens inside the simulated pods, reached through the pods/portforward subresource.</summary>
    public PodPorts PodPorts { get; } = new();

    /// <summary>http://127.0.0.1:{port}/ once started.</summary>
    public Uri BaseAddress => _port == 0
        ? throw new InvalidOperationException("the simulated API server has not been started: call StartAsync first")
        : new Uri($"http://127.0.0.1:{_port.ToString(CultureInfo.InvariantCulture)}/");

    public bool IsListening => _app is not null;

    /// <summary>The most requests the server was serving at once (to check a client's fan-out bound).</summary>
    public int PeakRequestsInFlight => Volatile.Read(ref _peakInFlight);

    public void ResetPeakRequestsInFlight() => Volatile.Write(ref _peakInFlight, 0);

    /// <summary>Starts on a free loopback port. Seeds the namespaces every cluster has.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Store.TryGet(ResourceKinds.Namespaces, null, "default") is null)
        {
            foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
            {
                Store.Create(ResourceKinds.Namespaces, null, KubeObjects.New(ResourceKinds.Namespaces, null, ns));
            }
        }

        await ResumeListeningAsync(cancellationToken);
    }

    /// <summary>Makes the cluster unreachable: the port is closed and connections are refused. State is kept.</summary>
    public async Task StopListeningAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            if (_app is not null)
            {
                await _app.StopAsync(cancellationToken);
                await _app.DisposeAsync();
                _app = null;
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Listens again, on the same port as before (a fresh one on first start).</summary>
    public async Task ResumeListeningAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            if (_app is not null)
            {
                return;
            }

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, _port));
            var app = builder.Build();
            app.UseWebSockets();
            app.Run(ServeAsync);
            await app.StartAsync(cancellationToken);
            _port = new Uri(app.Urls.First()).Port;
            _app = app;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Client configuration for the real KubernetesClient.</summary>
    public KubernetesClientConfiguration CreateClientConfiguration() => new()
    {
        Host = BaseAddress.ToString(),
        AccessToken = _options.BearerToken,
    };

    public k8s.Kubernetes CreateClient() => new(CreateClientConfiguration());

    /// <summary>A kubeconfig file's text with one cluster, user and context named <paramref name="contextName"/>.</summary>
    public string CreateKubeconfigYaml(string contextName = "rotation-sim", string defaultNamespace = "default")
    {
        var user = _options.BearerToken is null ? "  user: {}" : $"  user:\n    token: {_options.BearerToken}";
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: {contextName}
              cluster:
                server: {BaseAddress.ToString().TrimEnd('/')}
            contexts:
            - name: {contextName}
              context:
                cluster: {contextName}
                user: {contextName}
                namespace: {defaultNamespace}
            current-context: {contextName}
            users:
            - name: {contextName}
            {user}

            """;
    }

    public async ValueTask DisposeAsync()
    {
        await StopListeningAsync();
        _lifecycle.Dispose();
    }

    private async Task ServeAsync(HttpContext context)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        try
        {
            var peak = Volatile.Read(ref _peakInFlight);
            while (inFlight > peak && Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak) != peak)
            {
                peak = Volatile.Read(ref _peakInFlight);
            }

            await ServeCountedAsync(context, inFlight);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task ServeCountedAsync(HttpContext context, int inFlight)
    {
        var request = ApiRequestInfo.Parse(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value ?? "");
        var at = _options.TimeProvider.GetUtcNow();
        var fault = Faults.Take(request);
        if (fault is not null && fault.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(fault.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up while the fault held the answer back.
                Requests.Add(new RecordedRequest(request, 0, fault + " (client gave up)", at));
                return;
            }
        }

        if (fault is { DropConnection: true })
        {
            Requests.Add(new RecordedRequest(request, 0, fault.ToString(), at));
            context.Abort();
            return;
        }

        ApiResponse response;
        if (fault is { StatusCode: { } code })
        {
            var headers = fault.RetryAfterSeconds is { } seconds
                ? new Dictionary<string, string> { ["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture) }
                : null;
            response = ApiResponse.Of(code, ApiStatus.Failure(code, fault.Reason, fault.Message, request.Kind, request.Name), headers);
        }
        else if (inFlight > _options.MaxRequestsInFlight)
        {
            response = ApiResponse.Of(
                429,
                ApiStatus.Failure(429, "TooManyRequests", "The server has received too many requests and has asked us to try again later."),
                new Dictionary<string, string> { ["Retry-After"] = "1" });
        }
        else if (!IsAuthorized(context.Request))
        {
            response = ApiResponse.Of(401, ApiStatus.Failure(401, "Unauthorized", "Unauthorized"));
        }
        else if (request.Verb == "watch")
        {
            await ServeWatchAsync(context, request, at);
            return;
        }
        else if (request.Resource == "pods" && request.Subresource == "portforward")
        {
            await ServePortForwardAsync(context, request, at);
            return;
        }
        else
        {
            string body;
            using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
            {
                body = await reader.ReadToEndAsync(context.RequestAborted);
            }

            response = _handler.Handle(request, context.Request.ContentType, body);
        }

        Requests.Add(new RecordedRequest(request, response.StatusCode, fault?.ToString(), at));
        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = "application/json";
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        await context.Response.WriteAsync(response.Json, context.RequestAborted);
    }

    /// <summary>
    /// pods/{name}/portforward over a WebSocket (a GET upgrade; KubernetesClient's WebSocketNamespacedPodPortForwardAsync,
    /// ports=N in the query). RBAC: the upgrade is authorized as get on pods/portforward, and since Kubernetes 1.35 also
    /// as create (kubernetes/kubernetes#134577, AuthorizePodWebsocketUpgradeCreatePermission); the simulator checks both.
    /// SPDY (POST) is not served.
    /// </summary>
    private async Task ServePortForwardAsync(HttpContext context, ApiRequestInfo request, DateTimeOffset at)
    {
        ApiResponse? refusal = null;
        var pod = request.Namespace is null || request.Name is null ? null : Store.TryGet(ResourceKinds.Pods, request.Namespace, request.Name);
        var portText = request.QueryValue("ports");
        if (!Access.IsAllowed("get", "", "pods/portforward", request.Namespace) || !Access.IsAllowed("create", "", "pods/portforward", request.Namespace))
            refusal = ApiResponse.Of(403, ApiStatus.Failure(403, "Forbidden", $"pods \"{request.Name}\" is forbidden: User \"{AccessPolicy.UserName}\" cannot create resource \"pods/portforward\" in API group \"\" in the namespace \"{request.Namespace}\""));
        else if (pod is null)
            refusal = ApiResponse.Of(404, ApiStatus.Failure(404, "NotFound", $"pods \"{request.Name}\" not found", request.Kind, request.Name));
        else if (KubeObjects.StringAt(pod, "status", "phase") is { } phase && phase != "Running")
            refusal = ApiResponse.Of(400, ApiStatus.Failure(400, "BadRequest", $"pod {request.Name} is not running. Status={phase}"));
        else if (!context.WebSockets.IsWebSocketRequest)
            refusal = ApiResponse.Of(400, ApiStatus.Failure(400, "BadRequest", "Upgrade request required"));
        else if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            refusal = ApiResponse.Of(400, ApiStatus.Failure(400, "BadRequest", $"unable to parse \"{portText}\" as a port"));

        Requests.Add(new RecordedRequest(request, refusal?.StatusCode ?? 101, null, at));
        if (refusal is not null)
        {
            context.Response.StatusCode = refusal.StatusCode;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(refusal.Json, context.RequestAborted);
            return;
        }

        var protocol = context.WebSockets.WebSocketRequestedProtocols.Contains(PortForwardSession.ChannelProtocol) ? PortForwardSession.ChannelProtocol : null;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(protocol);
        try
        {
            await PortForwardSession.RunAsync(socket, request.Namespace!, request.Name!, KubeObjects.StringAt(pod, "metadata", "uid") ?? "", int.Parse(portText!, CultureInfo.InvariantCulture), PodPorts, context.RequestAborted);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away mid-forward.
        }
    }

    private bool IsAuthorized(HttpRequest request) =>
        _options.BearerToken is null || request.Headers.Authorization.ToString() == $"Bearer {_options.BearerToken}";
}

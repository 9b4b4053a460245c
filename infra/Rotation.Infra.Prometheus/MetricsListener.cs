using Prometheus;
using Rotation.Core.Metrics;

namespace Rotation.Infra.Prometheus;

/// <summary>
/// Serves <c>/metrics</c> over HTTP (prometheus-net's <see cref="MetricServer"/>, an HttpListener). Every scrape
/// reads the store afresh before rendering, so a scrape is never staler than the request.
/// </summary>
public sealed class MetricsListener : IDisposable
{
    private readonly MetricServer _server;

    public MetricsListener(string host, int port, Func<CancellationToken, Task<EstateMetrics>> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var metrics = new RotationMetrics();
        metrics.Registry.AddBeforeCollectCallback(async cancellationToken => metrics.Update(await read(cancellationToken)));
        _server = new MetricServer(host, port, "metrics/", metrics.Registry);
    }

    public void Start() => _server.Start();

    public void Dispose() => _server.Dispose();
}

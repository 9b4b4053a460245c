using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rotation.Core.Metrics;
using Rotation.Core.Ports;

namespace Rotation.Infra.OpenTelemetry;

/// <summary>
/// Reads the store into <see cref="RotationMeter"/> at start and then every <see cref="RotationTelemetryOptions.RefreshInterval"/>.
/// A failed read keeps the last snapshot and is logged: the gate-next-check and phase-seconds series keep ageing
/// in the alert pack's terms only when a read succeeds, so a store that stays unreadable shows as stale data.
/// </summary>
public sealed partial class EstateMetricsRefresher(
    IStateStore store,
    RotationMeter meter,
    IOptions<RotationTelemetryOptions> options,
    TimeProvider time,
    ILogger<EstateMetricsRefresher> logger) : BackgroundService
{
    private readonly EstateMetricsReader _reader = new(store, time);

    /// <summary>One read into the meter; the host loop calls it, and so can a test.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        meter.Update(await _reader.ReadAsync(cancellationToken: cancellationToken));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRefreshFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the store for metrics failed; the last snapshot stays exported")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}

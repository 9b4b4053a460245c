using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Rotations;
using Rotation.Functions.Hosting;

namespace Rotation.Functions.Triggers;

/// <summary>What one expiry scan did.</summary>
public sealed record ExpiryScanResult(int Events, IReadOnlyList<string> RotationsStarted, IReadOnlyList<string> OrchestrationsResumed);

/// <summary>
/// The expiry scan (schedule from the ExpiryScanSchedule app setting, hourly by default): appends expiry events
/// per CA layer to the outbox, starts an intermediate rotation for domains that allow it when the policy says it is
/// due (roots always wait for a person: they are reported, never started), and re-schedules the orchestration of
/// any active rotation that lost its own.
/// </summary>
public sealed partial class ExpiryScanFunction(
    CaService authorities,
    RotationStarter starter,
    TimeProvider time,
    IOptions<RotationFunctionsOptions> options,
    ILogger<ExpiryScanFunction> logger)
{
    [Function("ExpiryScan")]
    public async Task RunAsync(
        [TimerTrigger("%ExpiryScanSchedule%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        var result = await ScanAsync(client, cancellationToken);
        LogScan(logger, result.Events, result.RotationsStarted.Count, result.OrchestrationsResumed.Count);
    }

    public async Task<ExpiryScanResult> ScanAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        var events = await authorities.ScanAsync(time.GetUtcNow(), null, cancellationToken);
        var resumed = await starter.EnsureOrchestratedAsync(client, cancellationToken);
        var started = new List<string>();
        var allowed = options.Value.AutoRotateIntermediates.ToHashSet(StringComparer.Ordinal);
        var due = (await authorities.InventoryAsync(null, null, cancellationToken))
            .Where(r => r.Role == CaRole.Intermediate && r.Status == CaStatus.Active && r.RotationDue && allowed.Contains(r.Domain))
            .Select(r => r.Domain)
            .Distinct(StringComparer.Ordinal);
        foreach (var domain in due)
        {
            try
            {
                var record = await starter.StartAsync(client, domain, RotationKind.Intermediate, new RotationPolicy(), "expiry-scan", cancellationToken);
                started.Add(record.Id);
            }
            catch (DomainException ex)
            {
                // Already rotating, no targets, preflight failed: the scan reports and tries again next time.
                LogNotStarted(logger, domain, ex.Message);
            }
        }

        return new ExpiryScanResult(events.Count, started, resumed);
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Expiry scan: {Events} event(s), {Started} rotation(s) started, {Resumed} orchestration(s) resumed")]
    private static partial void LogScan(ILogger logger, int events, int started, int resumed);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Expiry scan did not start an intermediate rotation of {Domain}: {Reason}")]
    private static partial void LogNotStarted(ILogger logger, string domain, string reason);
}

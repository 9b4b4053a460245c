using Microsoft.Extensions.Logging;
using Rotation.Core.Events;

namespace Rotation.Functions.Events;

/// <summary>
/// The host's drain: the same <see cref="OutboxPublisher"/> `rotation events publish` runs (at least once, ids unchanged
/// on retry, backoff and parking), one run at a time per instance so a slow run and the next timer tick never send the
/// same rows twice from one process. Instances running side by side may still overlap: subscribers deduplicate by id.
/// </summary>
public sealed partial class OutboxDrain(OutboxPublisher publisher, ILogger<OutboxDrain> logger) : IOutboxPublisher, IDisposable
{
    private readonly SemaphoreSlim _oneRun = new(1, 1);

    public async Task<PublishReport> PublishPendingAsync(CancellationToken cancellationToken)
    {
        await _oneRun.WaitAsync(cancellationToken);
        try
        {
            var report = await publisher.PublishPendingAsync(cancellationToken);
            if (report.Stopped || report.Parked > 0)
            {
                LogTrouble(logger, report.Delivered, report.FailedAttempts, report.Parked, report.Stopped, report.LastError);
            }

            return report;
        }
        finally
        {
            _oneRun.Release();
        }
    }

    public void Dispose() => _oneRun.Dispose();

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "Outbox run: {Delivered} delivered, {FailedAttempts} failed attempt(s), {Parked} parked, stopped {Stopped}: {LastError}")]
    private static partial void LogTrouble(ILogger logger, int delivered, int failedAttempts, int parked, bool stopped, string? lastError);
}

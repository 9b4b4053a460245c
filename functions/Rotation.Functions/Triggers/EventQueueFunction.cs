using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Rotation.Core.Authorities;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Functions.Hosting;
using AzureCloudEvent = Azure.Messaging.CloudEvent;

namespace Rotation.Functions.Triggers;

/// <summary>What handling one queue message did.</summary>
public sealed record EventQueueResult(int Received, int Handled, int Duplicates, int Ignored);

/// <summary>
/// Events Event Grid delivers to the storage queue (CloudEvents 1.0 schema): Key Vault certificate events make the
/// expiry scan run now instead of at its next tick. Idempotent by event id: each handled event leaves a receipt in
/// the outbox whose id derives from the incoming id, so a redelivery (Event Grid is at-least-once) is seen and
/// skipped. A message that is not a CloudEvent throws, so the queue retries it and then moves it to the poison queue.
/// </summary>
public sealed partial class EventQueueFunction(CaService authorities, IStateStore store, TimeProvider time, ILogger<EventQueueFunction> logger)
{
    public const string ReceiptType = "Rotation.ExternalEventReceived";
    public const string ReceiptSource = "/rotation/functions/event-queue";

    /// <summary>Key Vault certificate events (event-schema-key-vault) that mean a CA may need attention.</summary>
    public static readonly IReadOnlySet<string> KeyVaultCertificateEvents = new HashSet<string>(StringComparer.Ordinal)
    {
        "Microsoft.KeyVault.CertificateNearExpiry",
        "Microsoft.KeyVault.CertificateExpired",
        "Microsoft.KeyVault.CertificateNewVersionCreated",
    };

    [Function("EventQueue")]
    public async Task RunAsync(
        [QueueTrigger(RotationFunctionsOptions.EventQueueName, Connection = RotationFunctionsOptions.EventQueueConnection)] string message,
        CancellationToken cancellationToken)
    {
        var result = await HandleAsync(message, cancellationToken);
        LogHandled(logger, result.Received, result.Handled, result.Duplicates, result.Ignored);
    }

    public async Task<EventQueueResult> HandleAsync(string message, CancellationToken cancellationToken)
    {
        var events = AzureCloudEvent.ParseMany(BinaryData.FromString(message), skipValidation: false);
        int handled = 0, duplicates = 0, ignored = 0;
        foreach (var incoming in events)
        {
            if (!KeyVaultCertificateEvents.Contains(incoming.Type))
            {
                // Rotation's own events come back through the same queue; acting on them would loop.
                ignored++;
                continue;
            }

            var receiptId = EventIds.From("received", incoming.Source, incoming.Id);
            if ((await store.ReadOutboxAsync(false, int.MaxValue, cancellationToken)).Any(e => e.Event.Id == receiptId))
            {
                duplicates++;
                continue;
            }

            var now = time.GetUtcNow();
            await authorities.ScanAsync(now, null, cancellationToken);
            var data = JsonSerializer.SerializeToElement(new { id = incoming.Id, type = incoming.Type, source = incoming.Source, subject = incoming.Subject });
            await store.CommitAsync(new ChangeSet { Events = [new CloudEvent(receiptId, ReceiptSource, ReceiptType, now, incoming.Subject ?? incoming.Type, data)] }, cancellationToken);
            handled++;
        }

        return new EventQueueResult(events.Length, handled, duplicates, ignored);
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Event queue message: {Received} event(s), {Handled} handled, {Duplicates} duplicate(s), {Ignored} ignored")]
    private static partial void LogHandled(ILogger logger, int received, int handled, int duplicates, int ignored);
}

using System.Diagnostics;
using System.Text.Json;
using Azure.Messaging.EventGrid;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Infra.AzureTables;
using Rotation.Infra.Events;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Bench.Azure;

/// <summary>
/// The outbox publisher's throughput to the loopback Event Grid topic: N rotation-sized events committed to a fresh
/// store (a SQLite file, or a fresh Azurite table), then one timed <see cref="OutboxPublisher.PublishPendingAsync"/>
/// with the production options and an EventGridSink made as the composition makes it (SDK retries off).
/// </summary>
internal static class PublisherBench
{
    private const string Domain = "bench.mesh.internal";

    public static async Task<JsonElement> RunAsync(AzureTestServices servers, string storeKind, int run, int events, CancellationToken cancellationToken)
    {
        using var temp = new TempDirectory("rotation-bench-outbox");
        IStateStore store = storeKind == "table"
            ? new TableStateStore(new TableStoreOptions { ConnectionString = servers.Azurite.ConnectionString, TableName = AzuriteTables.NewTableName() }, TimeProvider.System)
            : new SqliteStateStore(new SqliteStoreOptions { DatabasePath = temp.Combine("rotation.db") }, TimeProvider.System);
        // Committed in slices, as a rotation's steps append them (a Table Storage change set stays one transaction).
        foreach (var slice in Enumerable.Range(0, events).Select(i => Event(run, i)).Chunk(50))
        {
            await store.CommitAsync(new ChangeSet { Events = slice }, cancellationToken);
        }

        var options = new EventGridPublisherClientOptions();
        options.Retry.MaxRetries = 0;
        servers.EventGridClient(options);
        var sink = new EventGridSink(servers.Topic.TopicEndpoint, servers.Credential, options, TimeProvider.System);
        var watch = Stopwatch.StartNew();
        var report = await new OutboxPublisher(store, sink, new OutboxPublisherOptions(), TimeProvider.System).PublishPendingAsync(cancellationToken);
        watch.Stop();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return JsonSerializer.SerializeToElement(new Dictionary<string, object?>
        {
            ["kind"] = "publish",
            ["store"] = storeKind,
            ["run"] = run,
            ["events"] = events,
            ["delivered"] = report.Delivered,
            ["requests"] = report.Requests,
            ["ms"] = Math.Round(watch.Elapsed.TotalMilliseconds, 1),
            ["eventsPerSecond"] = Math.Round(report.Delivered / watch.Elapsed.TotalSeconds, 1),
        });
    }

    // About the size of a rotation transition event.
    private static CloudEvent Event(int run, int i) => new(
        $"bench-{run}-{i:D5}",
        $"/rotation/domains/{Domain}/rotations/rot-bench-{run}",
        EventTypes.PhaseCompleted,
        DateTimeOffset.UtcNow,
        $"rotations/rot-bench-{run}/phases/DistributeTrust",
        JsonSerializer.SerializeToElement(new { rotationId = $"rot-bench-{run}", domain = Domain, kind = "Root", status = "Running", phase = "DistributeTrust", planGeneration = 1, detail = $"event {i} of the benchmark outbox" }));
}

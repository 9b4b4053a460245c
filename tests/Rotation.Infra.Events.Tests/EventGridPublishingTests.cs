using System.Net;
using System.Text;
using Azure;
using Azure.Messaging.EventGrid;
using Rotation.Core.Domain;
using Rotation.Core.Events;

namespace Rotation.Infra.Events.Tests;

/// <summary>The outbox publisher through the real EventGridPublisherClient to the loopback Event Grid topic.</summary>
public sealed class EventGridPublishingTests : IAsyncLifetime, IDisposable
{
    private const string Key = "test-topic-key";
    private readonly LoopbackTls _tls = new();
    private readonly TempDirectory _directory = new();
    private EventGridTestServer _server = null!;

    public async Task InitializeAsync() => _server = await EventGridTestServer.StartAsync(_tls, key: Key, bearerToken: "entra-token");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _directory.Dispose();

    private EventGridSink KeySink(string key = Key) =>
        new(_server.TopicEndpoint, new AzureKeyCredential(key), TestEvents.ClientOptions(_tls));

    [Fact]
    public async Task A_rotation_drained_while_every_third_request_fails_arrives_exactly_once_after_dedup_by_id()
    {
        var events = TestEvents.OfARootRotation();
        var store = await TestEvents.StoreWithAsync(_directory, events);
        _server.FailEvery = 3;
        _server.RecordBeforeFailing = true;
        var publisher = new OutboxPublisher(store, KeySink(), TestEvents.FastRetries(maxEventsPerBatch: 4));

        var report = await publisher.PublishPendingAsync();

        var arrivedIds = _server.Received.Select(e => e.GetProperty("id").GetString()!).ToList();
        Assert.True(arrivedIds.Count > events.Count, "failed requests whose events were taken must show up as duplicates");
        Assert.Equal(events.Select(e => e.Id).Order(), arrivedIds.Distinct().Order());
        Assert.Equal(events.Count, report.Delivered);
        Assert.True(report.FailedAttempts > 0);
        Assert.False(report.Stopped);
        var outbox = await store.ReadOutboxAsync();
        Assert.All(outbox, e => Assert.NotNull(e.PublishedAt));
        Assert.Contains(outbox, e => e.Attempts > 0 && e.LastError!.Contains("503", StringComparison.Ordinal));
        Assert.Empty(await store.ReadOutboxAsync(unpublishedOnly: true));
        // Each retry re-sent the same ids: every duplicate is byte-for-byte the event the outbox holds.
        foreach (var arrived in _server.Received)
        {
            var original = events.Single(e => e.Id == arrived.GetProperty("id").GetString());
            Assert.Equal(original.Source, arrived.GetProperty("source").GetString());
            Assert.Equal(original.Type, arrived.GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task A_domain_filter_publishes_that_domain_only_even_behind_a_full_read_of_other_domains_rows()
    {
        // Ten rows of another domain (and one of no domain) come first, more than one read of five holds.
        var others = Enumerable.Range(0, 10)
            .Select(i => new CloudEvent($"other-{i}", "/rotation/domains/other.internal/rotations/r9", EventTypes.GateBlocked, TestEvents.Now, "rotations/r9", System.Text.Json.JsonSerializer.SerializeToElement(new { i })))
            .Append(new CloudEvent("bundle-1", "/rotation/bundles", EventTypes.GateBlocked, TestEvents.Now, "bundles/b", System.Text.Json.JsonSerializer.SerializeToElement(new { })))
            .ToList();
        var ours = TestEvents.OfARootRotation();
        var store = await TestEvents.StoreWithAsync(_directory, [.. others, .. ours]);
        var options = TestEvents.FastRetries(maxEventsPerBatch: 4);
        options.ReadSize = 5;
        options.Domain = "mesh.example.internal";

        var report = await new OutboxPublisher(store, KeySink(), options).PublishPendingAsync();

        Assert.Equal(ours.Count, report.Delivered);
        Assert.Equal(ours.Select(e => e.Id).Order(), _server.Received.Select(e => e.GetProperty("id").GetString()!).Order());
        Assert.Equal(others.Select(e => e.Id).Order(), (await store.ReadOutboxAsync(unpublishedOnly: true)).Select(e => e.Event.Id).Order());
    }

    [Fact]
    public async Task Requests_follow_the_publish_spec_and_stay_under_1_MB()
    {
        var events = Enumerable.Range(0, 40).Select(i => TestEvents.Sized($"big-{i:D2}", 100_000)).ToList();
        var store = await TestEvents.StoreWithAsync(_directory, events);

        var report = await new OutboxPublisher(store, KeySink(), TestEvents.FastRetries()).PublishPendingAsync();

        Assert.Equal(40, report.Delivered);
        Assert.True(_server.Requests.Count >= 4, $"40 events of 100 kB need at least 4 requests, saw {_server.Requests.Count}");
        Assert.All(_server.Requests, r =>
        {
            Assert.True(r.Bytes <= 1_000_000, $"request {r.Number} carried {r.Bytes} bytes");
            Assert.Equal("2018-01-01", r.ApiVersion);
            Assert.StartsWith("application/cloudevents-batch+json", r.ContentType, StringComparison.Ordinal);
            Assert.Equal("aeg-sas-key", r.AuthScheme);
        });
        Assert.Equal(events.Select(e => e.Id), _server.Received.Select(e => e.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task A_token_credential_is_sent_as_a_bearer_token_for_the_event_grid_scope()
    {
        var store = await TestEvents.StoreWithAsync(_directory, TestEvents.OfARootRotation());
        var credential = new TestEvents.FixedToken("entra-token");
        var sink = new EventGridSink(_server.TopicEndpoint, credential, TestEvents.ClientOptions(_tls));

        var report = await new OutboxPublisher(store, sink, TestEvents.FastRetries()).PublishPendingAsync();

        Assert.Equal(TestEvents.OfARootRotation().Count, report.Delivered);
        Assert.Equal("Bearer", _server.Requests.Single().AuthScheme);
        Assert.Contains("https://eventgrid.azure.net/.default", credential.Scopes);
    }

    [Fact]
    public async Task A_wrong_key_stops_the_run_with_what_to_fix_and_parks_nothing()
    {
        var store = await TestEvents.StoreWithAsync(_directory, TestEvents.OfARootRotation());

        var error = await Assert.ThrowsAsync<DomainException>(() => new OutboxPublisher(store, KeySink("wrong"), TestEvents.FastRetries()).PublishPendingAsync());

        Assert.StartsWith($"eventgrid:{_server.TopicEndpoint}: 401 Unauthorized", error.Message);
        Assert.EndsWith("fix the sink's address or credentials, then publish again (nothing was parked)", error.Message);
        var outbox = await store.ReadOutboxAsync(unpublishedOnly: true);
        Assert.Equal(TestEvents.OfARootRotation().Count, outbox.Count);
        Assert.Empty(_server.Received);
    }

    [Fact]
    public async Task A_rejected_event_is_isolated_and_parked_while_the_rest_arrive()
    {
        var events = TestEvents.OfARootRotation().Take(9).Append(TestEvents.Sized("poison", 10, type: "Rotation.Poison")).ToList();
        var store = await TestEvents.StoreWithAsync(_directory, events);
        _server.RejectType = "Rotation.Poison";

        var report = await new OutboxPublisher(store, KeySink(), TestEvents.FastRetries()).PublishPendingAsync();

        Assert.Equal((9, 1), (report.Delivered, report.Parked));
        var poison = (await store.ReadOutboxAsync()).Single(e => e.Event.Id == "poison");
        Assert.NotNull(poison.ParkedAt);
        Assert.Contains("400 BadRequest", poison.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Received, e => e.GetProperty("id").GetString() == "poison");
    }

    [Fact]
    public async Task A_topic_that_stays_unavailable_parks_rows_after_the_attempt_limit()
    {
        var store = await TestEvents.StoreWithAsync(_directory, TestEvents.OfARootRotation().Take(3).ToList());
        _server.FailEvery = 1;
        _server.FailWith = HttpStatusCode.TooManyRequests;
        var options = TestEvents.FastRetries();
        options.ParkAfterAttempts = 4;
        options.MaxRetriesPerRun = 2;
        var publisher = new OutboxPublisher(store, KeySink(), options);

        var first = await publisher.PublishPendingAsync();
        var second = await publisher.PublishPendingAsync();

        Assert.True(first.Stopped);
        Assert.Equal((0, 3, 0), (first.Delivered, first.FailedAttempts, first.Parked));
        Assert.Equal(3, second.Parked);
        var rows = await store.ReadOutboxAsync();
        Assert.All(rows, r => Assert.Equal((4, true), (r.Attempts, r.ParkedAt is not null)));
        Assert.All(rows, r => Assert.Contains("429", r.LastError, StringComparison.Ordinal));
        Assert.Empty(await store.ReadOutboxAsync(unpublishedOnly: true));
    }

    [Fact]
    public async Task The_server_refuses_a_cloudevent_without_its_required_attributes()
    {
        var client = new EventGridPublisherClient(_server.TopicEndpoint, new AzureKeyCredential(Key), TestEvents.ClientOptions(_tls));

        var error = await Assert.ThrowsAsync<RequestFailedException>(() =>
            client.SendEncodedCloudEventsAsync(Encoding.UTF8.GetBytes("""[{"specversion":"1.0","id":"x","type":"t"}]""")));

        Assert.Equal(400, error.Status);
        Assert.Contains("'source'", error.Message, StringComparison.Ordinal);
    }
}

using System.Text.Json;
using Rotation.Core.Domain;
using Rotation.Core.Events;

namespace Rotation.Infra.Events.Tests;

/// <summary>The outbox publisher to a plain CloudEvents webhook, with the abuse-protection handshake.</summary>
public sealed class WebhookPublishingTests : IAsyncLifetime, IDisposable
{
    private readonly LoopbackTls _tls = new();
    private readonly TempDirectory _directory = new();
    private WebhookTestServer _server = null!;

    public async Task InitializeAsync() => _server = await WebhookTestServer.StartAsync(_tls);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _directory.Dispose();

    private WebhookSink Sink(bool batched = true, string origin = "rotation.example.internal") =>
        new(new WebhookSinkOptions { Endpoint = _server.Endpoint, Batched = batched, Origin = origin }, new HttpClient(_tls.TrustingHandler()));

    [Fact]
    public async Task Batched_delivery_after_consent_carries_every_event_with_its_id_and_data()
    {
        _server.AllowedOrigins.Add("rotation.example.internal");
        var events = TestEvents.OfARootRotation();
        var store = await TestEvents.StoreWithAsync(_directory, events);
        using var sink = Sink();

        var report = await new OutboxPublisher(store, sink, TestEvents.FastRetries(maxEventsPerBatch: 8)).PublishPendingAsync();

        Assert.Equal(events.Count, report.Delivered);
        Assert.Equal(1, _server.Handshakes);
        Assert.All(_server.ContentTypes, c => Assert.StartsWith("application/cloudevents-batch+json", c, StringComparison.Ordinal));
        Assert.Equal(events.Select(e => e.Id), _server.Received.Select(e => e.Id));
        var first = _server.Received[0];
        Assert.Equal(events[0].Source, first.Source!.ToString());
        Assert.Equal(events[0].Subject, first.Subject);
        Assert.Equal(events[0].Time, first.Time);
        Assert.True(JsonElement.DeepEquals(events[0].Data, (JsonElement)first.Data!));
    }

    [Fact]
    public async Task Structured_mode_sends_one_event_per_request_and_retries_through_failures()
    {
        _server.AllowedOrigins.Add("*");
        _server.FailEvery = 3;
        var events = TestEvents.OfARootRotation().Take(6).ToList();
        var store = await TestEvents.StoreWithAsync(_directory, events);
        using var sink = Sink(batched: false);

        var report = await new OutboxPublisher(store, sink, TestEvents.FastRetries(maxEventsPerBatch: 1)).PublishPendingAsync();

        Assert.Equal(6, report.Delivered);
        Assert.True(report.FailedAttempts > 0);
        Assert.All(_server.ContentTypes, c => Assert.StartsWith("application/cloudevents+json", c, StringComparison.Ordinal));
        Assert.Equal(events.Select(e => e.Id), _server.Received.Select(e => e.Id).Distinct());
    }

    [Fact]
    public async Task Without_consent_nothing_is_delivered_and_the_run_says_why()
    {
        _server.AllowedOrigins.Add("someone-else.example");
        var store = await TestEvents.StoreWithAsync(_directory, TestEvents.OfARootRotation());
        using var sink = Sink();

        var error = await Assert.ThrowsAsync<DomainException>(() => new OutboxPublisher(store, sink, TestEvents.FastRetries()).PublishPendingAsync());

        Assert.Contains("the webhook did not consent to deliveries from 'rotation.example.internal'", error.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Received);
        Assert.Empty(_server.ContentTypes);
        Assert.Equal(TestEvents.OfARootRotation().Count, (await store.ReadOutboxAsync(unpublishedOnly: true)).Count);
    }
}

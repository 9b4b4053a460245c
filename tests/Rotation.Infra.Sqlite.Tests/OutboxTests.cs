using System.Text.Json;
using Rotation.Core.Ports;

namespace Rotation.Infra.Sqlite.Tests;

public sealed class OutboxTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    private SqliteStateStore Store => _fixture.Store;

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Events_come_back_whole_in_append_order()
    {
        await Store.CommitAsync(new ChangeSet { Events = [TestData.Event("e2"), TestData.Event("e1")] });
        await Store.CommitAsync(new ChangeSet { Events = [TestData.Event("e0", subject: "")] });

        var outbox = await Store.ReadOutboxAsync();

        Assert.Equal(["e2", "e1", "e0"], outbox.Select(e => e.Event.Id));
        Assert.True(outbox[0].Sequence < outbox[1].Sequence && outbox[1].Sequence < outbox[2].Sequence);
        Assert.All(outbox, e => Assert.Null(e.PublishedAt));
        var expected = TestData.Event("e2");
        var read = outbox[0].Event;
        Assert.Equal((expected.Id, expected.Source, expected.Type, expected.Time, expected.Subject), (read.Id, read.Source, read.Type, read.Time, read.Subject));
        Assert.True(JsonElement.DeepEquals(expected.Data, read.Data));
        Assert.Equal("", outbox[2].Event.Subject);
    }

    [Fact]
    public async Task An_event_id_seen_before_appends_nothing()
    {
        await Store.CommitAsync(new ChangeSet { Events = [TestData.Event("e1"), TestData.Event("e2")] });
        var before = await Store.ReadOutboxAsync();

        await Store.CommitAsync(new ChangeSet { Events = [TestData.Event("e2"), TestData.Event("e1"), TestData.Event("e3")] });

        var after = await Store.ReadOutboxAsync();
        Assert.Equal(["e1", "e2", "e3"], after.Select(e => e.Event.Id));
        Assert.Equal(before.Select(e => e.Sequence), after.Take(2).Select(e => e.Sequence));
    }

    [Fact]
    public async Task Max_limits_the_oldest_first_read()
    {
        await Store.CommitAsync(new ChangeSet { Events = [TestData.Event("e1"), TestData.Event("e2"), TestData.Event("e3")] });

        Assert.Equal(["e1", "e2"], (await Store.ReadOutboxAsync(max: 2)).Select(e => e.Event.Id));
        Assert.Empty(await Store.ReadOutboxAsync(max: 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ReadOutboxAsync(max: -1));
    }

    [Fact]
    public async Task Published_events_drop_out_of_the_unpublished_read_and_keep_their_first_publish_time()
    {
        await Store.CommitAsync(new ChangeSet { Events = [TestData.Event("e1"), TestData.Event("e2"), TestData.Event("e3")] });
        var firstPublish = TestData.Now.AddMinutes(5);

        await Store.MarkPublishedAsync(["e1", "e3", "unknown"], firstPublish);
        await Store.MarkPublishedAsync(["e1"], firstPublish.AddHours(1));

        Assert.Equal(["e2"], (await Store.ReadOutboxAsync(unpublishedOnly: true)).Select(e => e.Event.Id));
        var all = await Store.ReadOutboxAsync();
        Assert.Equal([firstPublish, null, firstPublish], all.Select(e => e.PublishedAt));
        Assert.Equal(["e2"], (await Store.ReadOutboxAsync(unpublishedOnly: true, max: 1)).Select(e => e.Event.Id));
    }

    [Fact]
    public async Task The_outbox_holds_cloudevents_json()
    {
        await Store.CommitAsync(new ChangeSet { Events = [TestData.Event("e1")] });

        using var connection = _fixture.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT json FROM outbox";
        using var stored = JsonDocument.Parse((string)command.ExecuteScalar()!);

        Assert.Equal("1.0", stored.RootElement.GetProperty("specversion").GetString());
        Assert.Equal("e1", stored.RootElement.GetProperty("id").GetString());
        Assert.Equal("application/json", stored.RootElement.GetProperty("datacontenttype").GetString());
        Assert.Equal("prepare", stored.RootElement.GetProperty("data").GetProperty("phase").GetString());
    }
}

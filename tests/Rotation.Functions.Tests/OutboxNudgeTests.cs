using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Functions.Events;
using Rotation.Functions.Hosting;
using Rotation.Infra.Sqlite;
using Rotation.Testing;
using Rotation.Testing.StateStores;

namespace Rotation.Functions.Tests;

/// <summary>
/// "PublishEvents after each commit": the host's store wakes the drain after a commit that appended events, on a real
/// SQLite store inside a real generic host (the hosted service runs as it does in the worker).
/// </summary>
public sealed class OutboxNudgeTests : IAsyncLifetime
{
    private readonly TempDirectory _home = new("rotation-nudge");
    private SqliteStateStore _sqlite = null!;

    public Task InitializeAsync()
    {
        _sqlite = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _home.File("rotation.db") });
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _home.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_commit_with_events_is_drained_without_the_timer_and_one_without_events_is_not()
    {
        var sink = new MarkingPublisher(_sqlite);
        using var host = await StartAsync(sink);
        var store = host.Services.GetRequiredService<IStateStore>();

        await store.CommitAsync(new ChangeSet { Domain = StoreSamples.Domain() });
        await Task.Delay(300);
        Assert.Equal(0, sink.Runs);

        await store.CommitAsync(new ChangeSet { Events = [StoreSamples.Event("e1"), StoreSamples.Event("e2")] });
        await EventuallyAsync(() => sink.Delivered.Count == 2);
        Assert.Equal(["e1", "e2"], sink.Delivered);
        Assert.Empty(await _sqlite.ReadOutboxAsync(unpublishedOnly: true));
    }

    [Fact]
    public async Task A_failing_drain_leaves_the_rows_pending_and_the_next_commit_sends_them_all()
    {
        var sink = new MarkingPublisher(_sqlite) { FailNext = 1 };
        using var host = await StartAsync(sink);
        var store = host.Services.GetRequiredService<IStateStore>();

        await store.CommitAsync(new ChangeSet { Events = [StoreSamples.Event("e1")] });
        await EventuallyAsync(() => sink.Runs == 1);
        Assert.Empty(sink.Delivered);
        Assert.Single(await _sqlite.ReadOutboxAsync(unpublishedOnly: true)); // the failure lost nothing

        // The service survived the failure: the next commit's drain sends both rows.
        await store.CommitAsync(new ChangeSet { Events = [StoreSamples.Event("e2")] });
        await EventuallyAsync(() => sink.Delivered.Count == 2);
        Assert.Equal(["e1", "e2"], sink.Delivered);
    }

    [Fact]
    public async Task A_refused_commit_wakes_nothing()
    {
        var sink = new MarkingPublisher(_sqlite);
        using var host = await StartAsync(sink);
        var store = host.Services.GetRequiredService<IStateStore>();

        // Authorities of a domain that does not exist: the store refuses the whole change set, events included.
        await Assert.ThrowsAnyAsync<Exception>(() => store.CommitAsync(new ChangeSet { Authorities = [StoreSamples.Root("nowhere.example")], Events = [StoreSamples.Event("e1")] }));
        await Task.Delay(300);
        Assert.Equal(0, sink.Runs);
    }

    private async Task<IHost> StartAsync(IOutboxPublisher publisher)
    {
        var host = new HostBuilder().ConfigureServices(services =>
        {
            services.AddLogging();
            services.AddSingleton<IStateStore>(_sqlite);
            services.AddSingleton(publisher);
            services.AddRotationHost();
        }).Build();
        await host.StartAsync();
        Assert.IsType<OutboxNudgingStateStore>(host.Services.GetRequiredService<IStateStore>());
        return host;
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
            await Task.Delay(20, timeout.Token);
    }

    /// <summary>A sink that marks what it "sent" in the store, as the real publisher does; it can fail on demand.</summary>
    private sealed class MarkingPublisher(IStateStore store) : IOutboxPublisher
    {
        private int _runs;

        public int FailNext { get; set; }

        public int Runs => Volatile.Read(ref _runs);

        public List<string> Delivered { get; } = [];

        public async Task<PublishReport> PublishPendingAsync(CancellationToken cancellationToken)
        {
            try
            {
                if (FailNext > 0)
                {
                    FailNext--;
                    throw new InvalidOperationException("sink down");
                }

                var pending = await store.ReadOutboxAsync(unpublishedOnly: true, cancellationToken: cancellationToken);
                var ids = pending.Select(e => e.Event.Id).ToList();
                await store.MarkPublishedAsync(ids, DateTimeOffset.UtcNow, cancellationToken);
                lock (Delivered)
                    Delivered.AddRange(ids);
                return new PublishReport(ids.Count, 0, 0, 1, false, null);
            }
            finally
            {
                Interlocked.Increment(ref _runs);
            }
        }
    }
}

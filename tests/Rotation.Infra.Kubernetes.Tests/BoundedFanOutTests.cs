namespace Rotation.Infra.Kubernetes.Tests;

public sealed class BoundedFanOutTests
{
    [Fact]
    public async Task Never_runs_more_than_the_limit_at_once_and_returns_every_outcome_in_order()
    {
        var running = 0;
        var peak = 0;

        var results = await BoundedFanOut.RunAsync(Enumerable.Range(0, 12), 3, async (i, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(20, ct);
            Interlocked.Decrement(ref running);
            if (i == 5)
                throw new InvalidOperationException("cluster 5 is down");
            return i * 10;
        });

        Assert.Equal(3, peak);
        Assert.Equal(Enumerable.Range(0, 12), results.Select(r => r.Item));
        Assert.Equal("cluster 5 is down", Assert.Single(results, r => !r.Succeeded).Error!.Message);
        Assert.Equal(110, results[11].Result);
    }

    [Fact]
    public async Task ForEach_runs_every_item_before_rethrowing_a_failure()
    {
        var done = 0;

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => BoundedFanOut.ForEachAsync(Enumerable.Range(0, 5), 2, async (i, ct) =>
        {
            await Task.Yield();
            Interlocked.Increment(ref done);
            if (i == 0)
                throw new InvalidOperationException("first");
        }));

        Assert.Equal("first", ex.Message);
        Assert.Equal(5, done);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

using Rotation.Drill.Estate;

namespace Rotation.Drill.Tests;

public sealed class MandatoryWaitTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Overlapping_waits_count_once_and_gaps_not_at_all()
    {
        var tracker = new MandatoryWaitTracker();
        tracker.Close(tracker.Open(T0), T0.AddSeconds(2));
        tracker.Close(tracker.Open(T0.AddSeconds(1)), T0.AddSeconds(3));
        tracker.Close(tracker.Open(T0.AddSeconds(10)), T0.AddSeconds(11));

        Assert.Equal(TimeSpan.FromSeconds(4), tracker.Total(T0, T0.AddSeconds(20)));
    }

    [Fact]
    public void Waits_are_clipped_to_the_window_and_open_ones_run_to_its_end()
    {
        var tracker = new MandatoryWaitTracker();
        tracker.Close(tracker.Open(T0), T0.AddSeconds(5));
        tracker.Open(T0.AddSeconds(8));

        Assert.Equal(TimeSpan.FromSeconds(3 + 2), tracker.Total(T0.AddSeconds(2), T0.AddSeconds(10)));
    }
}

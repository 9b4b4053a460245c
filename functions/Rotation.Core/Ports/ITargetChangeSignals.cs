namespace Rotation.Core.Ports;

/// <summary>
/// Tells the engine that what a domain's targets report may have changed (a watch saw a ConfigMap, Secret, Bundle,
/// Certificate or pod change; an in-process estate loaded a bundle or a leaf), so a holding gate looks again now
/// instead of at its fallback deadline. Implemented beside <see cref="ITargetResolver"/> by resolvers whose targets can
/// tell; a signal is only a hint to look again: the gate still decides on the evidence it reads.
/// </summary>
public interface ITargetChangeSignals
{
    /// <summary>
    /// Marks now for the targets of <paramref name="domain"/>. Take it before reading evidence: the mark's wait ends at
    /// the first change after it, so a change during the read is never missed (at worst it causes one more look).
    /// </summary>
    ChangeMark Mark(string domain);
}

/// <summary>A point in the change history of some targets; <see cref="WaitAsync"/> ends at the first change after it.</summary>
public sealed class ChangeMark
{
    private readonly IReadOnlyList<(ChangeSignal Signal, long Seen)> _marks;

    public ChangeMark(IEnumerable<ChangeSignal> signals)
    {
        _marks = signals.Select(s => (s, s.Version)).ToList();
    }

    /// <summary>True when some target changed after the mark.</summary>
    public bool Changed => _marks.Any(m => m.Signal.Version > m.Seen);

    /// <summary>Completes when some target changed after the mark; never when the mark covers no signal.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        if (_marks.Count == 0)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return;
        }

        await Task.WhenAny(_marks.Select(m => m.Signal.WaitAfterAsync(m.Seen, cancellationToken)));
        cancellationToken.ThrowIfCancellationRequested();
    }
}

/// <summary>
/// One target's change counter: <see cref="Raise"/> on every change that may alter what it reports. Waiting is
/// race-free against a version read earlier.
/// </summary>
public sealed class ChangeSignal
{
    private readonly Lock _lock = new();
    private long _version;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Version
    {
        get { lock (_lock) return _version; }
    }

    public void Raise()
    {
        TaskCompletionSource fired;
        lock (_lock)
        {
            _version++;
            fired = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        fired.TrySetResult();
    }

    /// <summary>Completes once <see cref="Version"/> is past <paramref name="seen"/> (at once if it already is).</summary>
    public Task WaitAfterAsync(long seen, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _version > seen ? Task.CompletedTask : _next.Task.WaitAsync(cancellationToken);
        }
    }
}

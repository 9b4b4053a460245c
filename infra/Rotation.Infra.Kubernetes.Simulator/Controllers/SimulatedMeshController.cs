using System.Threading.Channels;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// A controller running in-process against the store: it notices relevant changes, waits its propagation delay,
/// then reconciles the whole current state (level-triggered, idempotent), as real controllers do. Changes during
/// the delay are folded into the same pass.
/// </summary>
public abstract class SimulatedMeshController : IAsyncDisposable
{
    private static readonly TimeSpan MaxAlarm = TimeSpan.FromDays(24);
    private readonly Channel<bool> _wakeups = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly object _gate = new();
    private CancellationTokenSource? _stopping;
    private Task? _loop;
    private int _passes;
    private int _waiting;
    private Exception? _lastError;
    private ITimer? _alarm;

    protected SimulatedMeshController(KubeObjectStore store, MeshControllerOptions? options)
    {
        Store = store;
        Options = options ?? new MeshControllerOptions();
    }

    protected KubeObjectStore Store { get; }

    protected MeshControllerOptions Options { get; }

    protected TimeProvider Time => Options.TimeProvider;

    public TimeSpan PropagationDelay => Options.PropagationDelay;

    /// <summary>Completed reconcile passes.</summary>
    public int Passes => Volatile.Read(ref _passes);

    /// <summary>True while a change has been noticed and the delay is running.</summary>
    public bool IsWaitingToPropagate => Volatile.Read(ref _waiting) == 1;

    /// <summary>The last reconcile failure, cleared by the next successful pass.</summary>
    public Exception? LastError => Volatile.Read(ref _lastError);

    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _loop is not null;
            }
        }
    }

    /// <summary>Starts watching; the first pass runs after one delay.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_loop is not null)
            {
                return;
            }

            OnStarting();
            _stopping = new CancellationTokenSource();
            Store.Changed += OnStoreChanged;
            _wakeups.Writer.TryWrite(true);
            var token = _stopping.Token;
            _loop = Task.Run(() => RunAsync(token), CancellationToken.None);
        }
    }

    public async Task StopAsync()
    {
        Task? loop;
        CancellationTokenSource? stopping;
        lock (_gate)
        {
            loop = _loop;
            stopping = _stopping;
            _loop = null;
            _stopping = null;
            Store.Changed -= OnStoreChanged;
        }

        if (loop is null)
        {
            return;
        }

        Interlocked.Exchange(ref _alarm, null)?.Dispose();
        await stopping!.CancelAsync();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
        }

        stopping.Dispose();
        OnStopped();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Whether a store change should wake this controller.</summary>
    protected abstract bool IsRelevant(ObjectChangedEventArgs change);

    /// <summary>Brings the cluster in line with what the controller sees now. Must be idempotent.</summary>
    protected abstract void Reconcile();

    /// <summary>
    /// Wakes the controller when <paramref name="dueIn"/> has passed on its clock (e.g. a certificate's renewal time),
    /// replacing any earlier alarm. The pass still waits the propagation delay.
    /// </summary>
    protected void WakeAfter(TimeSpan dueIn)
    {
        // System timers top out near 49 days; an early wake just reschedules.
        var due = dueIn < TimeSpan.Zero ? TimeSpan.Zero : dueIn > MaxAlarm ? MaxAlarm : dueIn;
        var alarm = Time.CreateTimer(_ => _wakeups.Writer.TryWrite(true), null, due, Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _alarm, alarm)?.Dispose();
    }

    /// <summary>Hook for registering admission mutators and the like.</summary>
    protected virtual void OnStarting()
    {
    }

    protected virtual void OnStopped()
    {
    }

    private void OnStoreChanged(object? sender, ObjectChangedEventArgs change)
    {
        if (IsRelevant(change))
        {
            _wakeups.Writer.TryWrite(true);
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await _wakeups.Reader.ReadAsync(cancellationToken);
            // The timer exists before the flag says so, so whoever sees the flag can move a fake clock past it.
            var delay = Task.Delay(Options.PropagationDelay, Time, cancellationToken);
            Volatile.Write(ref _waiting, 1);
            try
            {
                await delay;
            }
            finally
            {
                Volatile.Write(ref _waiting, 0);
            }

            try
            {
                Reconcile();
                Volatile.Write(ref _lastError, null);
            }
#pragma warning disable CA1031 // A controller keeps running after a failed pass, like a real one; the error is exposed.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Volatile.Write(ref _lastError, e);
            }

            Interlocked.Increment(ref _passes);
        }
    }
}

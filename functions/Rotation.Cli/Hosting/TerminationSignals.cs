using System.Runtime.InteropServices;

namespace Rotation.Cli;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM for the real process: the first one cancels the running command so it unwinds (the drill
/// ends its openssl peers and deletes its throwaway home; a rotation stops between idempotent steps). The process is
/// not terminated by the runtime meanwhile; <see cref="CliApp"/> bounds how long the unwinding may take.
/// </summary>
public sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<PosixSignal> _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration[] _registrations;

    private TerminationSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Listens for SIGINT and SIGTERM in this process.</summary>
    public static TerminationSignals Listen() => new();

    /// <summary>Cancelled when the first signal arrives.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Completes with the first signal received.</summary>
    public Task<PosixSignal> Received => _received.Task;

    /// <summary>The conventional exit status of a command a signal stopped: 128 + its number (130, 143).</summary>
    public static int ExitCodeFor(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGINT => 128 + 2,
        PosixSignal.SIGTERM => 128 + 15,
        _ => ExitCodes.Error,
    };

    public static string NameOf(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGINT => "SIGINT (Ctrl-C)",
        PosixSignal.SIGTERM => "SIGTERM",
        _ => signal.ToString(),
    };

    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _stop.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Keep the process alive while the command unwinds; a second signal changes nothing (the bound still holds).
        context.Cancel = true;
        if (_received.TrySetResult(context.Signal))
            _stop.Cancel();
    }
}

using System.Diagnostics;
using System.Text;

namespace Rotation.Drill.OpenSsl;

/// <summary>One openssl child process with its output captured, and waits bounded in time.</summary>
internal sealed class OpenSslProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _lock = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _watches = [];

    private OpenSslProcess(Process process) => _process = process;

    public static OpenSslProcess Start(string executable, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var wrapper = new OpenSslProcess(process);
        process.OutputDataReceived += (_, e) => wrapper.Append(wrapper._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.Append(wrapper._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    public string Output
    {
        get { lock (_lock) return _stdout.ToString(); }
    }

    public string Errors
    {
        get { lock (_lock) return _stderr.ToString(); }
    }

    public string AllOutput => Output + "\n" + Errors;

    public bool HasExited => _process.HasExited;

    public async Task WriteInputAndCloseAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
        _process.StandardInput.Close();
    }

    /// <summary>True when <paramref name="text"/> appeared on stdout in time; false when the process exited or time ran out first.</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_stdout.ToString().Contains(text, StringComparison.Ordinal))
                return true;
            _watches.Add((text, seen));
        }

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var exited = _process.WaitForExitAsync(timeoutSource.Token);
        try
        {
            await Task.WhenAny(seen.Task, exited).WaitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        // A cancelled wait also completes WhenAny (its exit wait is cancelled): that is the caller stopping, not the
        // process failing to print, and must not read as "openssl did not start".
        cancellationToken.ThrowIfCancellationRequested();
        return seen.Task.IsCompleted;
    }

    /// <summary>Waits for the process to end; kills it when it has not within <paramref name="timeout"/>. Returns whether it ended by itself.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(timeoutSource.Token);
            // The exit event can precede the last redirected lines; this waits for them.
            await _process.WaitForExitAsync(CancellationToken.None);
            return true;
        }
        catch (OperationCanceledException)
        {
            Kill();
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
    }

    /// <summary>Kills the process and waits (at most a second) until it is gone, so a drill that exits next leaves no openssl behind.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(TimeSpan.FromSeconds(1));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
            return;
        List<TaskCompletionSource> completed = [];
        lock (_lock)
        {
            target.Append(line).Append('\n');
            if (ReferenceEquals(target, _stdout))
            {
                foreach (var watch in _watches.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
                {
                    _watches.Remove(watch);
                    completed.Add(watch.Seen);
                }
            }
        }

        foreach (var seen in completed)
            seen.TrySetResult();
    }
}

using System.Globalization;

namespace Rotation.Cli.Output;

/// <summary>
/// The drill's live progress on stderr: one line when it starts, one per phase as traffic first meets it, one at the
/// end, each with the time since the start. Plain lines, never a carriage-return animation, so stdout (the report
/// or --json) stays clean and a CI log reads like a terminal.
/// </summary>
internal sealed class DrillProgress
{
    private readonly TextWriter _error;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly Lock _lock = new();

    public DrillProgress(TextWriter error, TimeProvider time)
    {
        _error = error;
        _time = time;
        _started = time.GetTimestamp();
    }

    public void Line(string text)
    {
        var elapsed = _time.GetElapsedTime(_started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        lock (_lock)
        {
            _error.WriteLine($"drill +{elapsed}s {text}");
            _error.Flush();
        }
    }

    public void Phase(string phase) => Line($"phase {phase}");
}

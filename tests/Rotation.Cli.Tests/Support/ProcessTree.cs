using System.Diagnostics;
using System.Globalization;

namespace Rotation.Cli.Tests.Support;

/// <summary>
/// The processes below one process, read from /proc (Linux), each identified by pid and start time so that a reused
/// pid is never mistaken for a survivor.
/// </summary>
public static class ProcessTree
{
    public const int Sigint = 2;
    public const int Sigterm = 15;

    public readonly record struct Member(int Pid, long StartTicks, string Command);

    /// <summary>Every living descendant of <paramref name="root"/>.</summary>
    public static IReadOnlyList<Member> Descendants(int root)
    {
        var all = Snapshot();
        var children = all.ToLookup(p => p.ParentPid);
        var found = new List<Member>();
        var pending = new Queue<int>([root]);
        while (pending.Count > 0)
        {
            foreach (var child in children[pending.Dequeue()])
            {
                found.Add(new Member(child.Pid, child.StartTicks, child.Command));
                pending.Enqueue(child.Pid);
            }
        }

        return found;
    }

    /// <summary>True while that process (same pid, same start time) still exists and is not a zombie.</summary>
    public static bool IsAlive(Member member) =>
        Read(member.Pid) is { } now && now.StartTicks == member.StartTicks && now.State != 'Z';

    /// <summary>Sends the signal with the shell's own kill (a builtin, so no package is needed).</summary>
    public static void Signal(int pid, int signal)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"kill -{signal.ToString(CultureInfo.InvariantCulture)} {pid.ToString(CultureInfo.InvariantCulture)}");
        using var kill = Process.Start(start)!;
        var error = kill.StandardError.ReadToEnd();
        kill.WaitForExit();
        if (kill.ExitCode != 0)
            throw new InvalidOperationException($"kill -{signal} {pid} failed: {error.Trim()}");
    }

    /// <summary>
    /// True when <paramref name="pid"/> ignores <paramref name="signal"/> (the SigIgn mask of /proc/PID/status,
    /// proc_pid_status(5)). A shell without job control starts background jobs with SIGINT ignored, children inherit
    /// that across exec, and .NET then installs no SIGINT handler (it keeps an inherited ignore, as POSIX intends).
    /// </summary>
    public static bool Ignores(int pid, int signal)
    {
        var line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
            && ulong.TryParse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask)
            && (mask & (1UL << (signal - 1))) != 0;
    }

    private sealed record Entry(int Pid, int ParentPid, long StartTicks, char State, string Command);

    private static List<Entry> Snapshot() =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? Read(pid) : null)
            .OfType<Entry>()
            .ToList();

    // /proc/PID/stat: "pid (comm) state ppid ... starttime(22nd field)"; comm may hold spaces and parentheses, so
    // split after its last ')'. See proc_pid_stat(5).
    private static Entry? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        if (open < 0 || close < open)
            return null;
        var fields = text[(close + 2)..].Split(' ');
        return new Entry(
            pid,
            int.Parse(fields[1], CultureInfo.InvariantCulture),
            long.Parse(fields[19], CultureInfo.InvariantCulture),
            fields[0][0],
            text[(open + 1)..close]);
    }
}

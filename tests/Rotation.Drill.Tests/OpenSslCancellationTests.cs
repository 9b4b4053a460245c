using System.Globalization;
using Rotation.Drill.OpenSsl;

namespace Rotation.Drill.Tests;

/// <summary>
/// A handshake cancelled at any point (a signal stopping the drill) leaves no openssl process running: a CI run once
/// found an s_server alive after the drill exited, cancelled while it waited for ACCEPT. The class runs alone,
/// because it counts every openssl child of this test process.
/// </summary>
[Collection(nameof(OpenSslCancellationTests))]
public sealed class OpenSslCancellationTests
{
    [Fact]
    public async Task A_handshake_cancelled_at_any_point_leaves_no_openssl_running()
    {
        await using var fixture = new WorkloadFixture();
        var client = fixture.Workload("cluster-01", "workload-01");
        var server = fixture.Workload("cluster-02", "workload-01");
        var peer = new OpenSslPeer();

        // From before s_server starts, through its start-up, to the handshake itself.
        foreach (var after in new[] { 0, 1, 2, 4, 8, 12, 16, 24, 32, 48 })
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(after));
            try
            {
                await peer.WorkloadToServerAsync(client, server, cancel.Token);
            }
            catch (OperationCanceledException)
            {
            }

            var alive = LiveOpenSslChildren();
            Assert.True(alive.Count == 0, $"cancelled after {after} ms, still running: openssl[{string.Join(", ", alive)}]");
        }
    }

    private static List<int> LiveOpenSslChildren()
    {
        var self = Environment.ProcessId;
        var alive = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }

            // pid (comm) state ppid ...: comm may hold spaces, so fields are read after its closing parenthesis.
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            if (stat[(open + 1)..close] == "openssl" && fields[0] != "Z" && int.Parse(fields[1], CultureInfo.InvariantCulture) == self)
                alive.Add(pid);
        }

        return alive;
    }
}

[CollectionDefinition(nameof(OpenSslCancellationTests), DisableParallelization = true)]
public sealed class OpenSslCancellationCollection;

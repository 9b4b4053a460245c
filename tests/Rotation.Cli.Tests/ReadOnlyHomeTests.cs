using System.Diagnostics;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;
using Xunit.Abstractions;

namespace Rotation.Cli.Tests;

/// <summary>
/// A home the process cannot write (a read-only mount, a directory without write permission) serves the read-only
/// commands, and a command that writes refuses in one line before it touches anything. The kernel must really deny
/// the writes: as a normal user the home's modes are cleared; as root, which ignores modes, the home is shown through
/// a read-only bind mount (EROFS binds root too). Where neither is possible (root without CAP_SYS_ADMIN) the test says
/// so in its output and proves nothing.
/// </summary>
public sealed class ReadOnlyHomeTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli-readonly");
    private readonly ITestOutputHelper _output;
    private readonly CliRunner _writer;
    private CliRunner _reader = null!;
    private string? _mountPoint;
    private bool _modesCleared;

    public ReadOnlyHomeTests(ITestOutputHelper output)
    {
        _output = output;
        _writer = new CliRunner(_temp.File("home"));
    }

    public async Task InitializeAsync()
    {
        await _writer.SucceedAsync("init", "--domain", Domain);
        await _writer.SucceedAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/ns/default/sa/web", "--out", _temp.File("leaf"));
        _reader = new CliRunner(await ReadOnlyViewAsync() ?? _writer.Home);
        _reader.Time.SetUtcNow(_writer.Time.GetUtcNow());
        foreach (var (name, value) in _writer.Environment)
            _reader.Environment[name] = value;
    }

    public async Task DisposeAsync()
    {
        if (_mountPoint is not null)
            await RunAsync("umount", _mountPoint);
        if (_modesCleared)
            SetModes(_writer.Home, writable: true);
        _temp.Dispose();
    }

    [Theory]
    [InlineData("inventory")]
    [InlineData("inventory", "--json")]
    [InlineData("status")]
    [InlineData("status", "--json")]
    [InlineData("leaf", "list")]
    [InlineData("cluster", "list")]
    public async Task A_read_only_command_runs_on_a_home_that_cannot_be_written(params string[] command)
    {
        if (!Proves())
            return;
        var before = HomeSnapshot.Take(_writer.Home);

        var result = await _reader.RunAsync(command);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.ErrorLines);
        before.AssertUnchanged(_writer.Home);
    }

    [Fact]
    public async Task Export_reads_the_key_and_writes_only_outside_the_home()
    {
        if (!Proves())
            return;
        var output = _temp.File("istio");

        await _reader.SucceedAsync("export", "istio", "--out", output);
        await _reader.SucceedAsync("export", "bundle", "--out", _temp.File("bundle.pem"));

        Assert.True(File.Exists(Path.Combine(output, "ca-key.pem")));
        Assert.Contains("BEGIN CERTIFICATE", await File.ReadAllTextAsync(_temp.File("bundle.pem")));
    }

    [Theory]
    [InlineData("scan")]
    [InlineData("rotate", "intermediate")]
    [InlineData("issue-leaf", "--spiffe-id", "spiffe://mesh.example.internal/ns/default/sa/api", "--out", "LEAF")]
    [InlineData("leaf", "forget", "1")]
    public async Task A_command_that_writes_refuses_in_one_line_and_changes_nothing(params string[] command)
    {
        if (!Proves())
            return;
        var leafOut = _temp.File("refused-leaf");
        var args = command.Select(a => a == "LEAF" ? leafOut : a).ToArray();
        var before = HomeSnapshot.Take(_writer.Home);

        var result = await _reader.RunAsync(args);

        Assert.Equal(ExitCodes.Error, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"error: the home {_reader.Home} is read-only", line);
        Assert.Contains("nothing was changed", line);
        Assert.False(Directory.Exists(leafOut));
        before.AssertUnchanged(_writer.Home);
    }

    private bool Proves()
    {
        if (_mountPoint is not null || _modesCleared)
            return true;
        _output.WriteLine("running as root without a way to mount read-only: root ignores file modes, so this run proves nothing about a read-only home");
        return false;
    }

    /// <summary>The path to run the CLI against: a read-only bind mount of the home (root) or the home with its modes cleared.</summary>
    private async Task<string?> ReadOnlyViewAsync()
    {
        if (!IsRoot())
        {
            SetModes(_writer.Home, writable: false);
            _modesCleared = true;
            return _writer.Home;
        }

        var view = _temp.File("readonly-view");
        Directory.CreateDirectory(view);
        if (await RunAsync("mount", "--bind", _writer.Home, view) != 0)
            return null;
        _mountPoint = view;
        return await RunAsync("mount", "-o", "remount,bind,ro", view) == 0 ? view : null;
    }

    private static void SetModes(string home, bool writable)
    {
        var files = writable ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead;
        var directories = writable ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute : UnixFileMode.UserRead | UnixFileMode.UserExecute;
        foreach (var file in Directory.EnumerateFiles(home, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(file, files);
        foreach (var directory in Directory.EnumerateDirectories(home, "*", SearchOption.AllDirectories).Append(home))
            File.SetUnixFileMode(directory, directories);
    }

    private static bool IsRoot() => Environment.UserName == "root";

    private static async Task<int> RunAsync(string program, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            await process.WaitForExitAsync();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}

using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>A 0-byte or corrupted rotation.db is refused with a recovery message, and nothing writes to it.</summary>
public sealed class DamagedStoreTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli");
    private readonly CliRunner _cli;

    public DamagedStoreTests() => _cli = new CliRunner(_temp.File("home"));

    public void Dispose() => _temp.Dispose();

    private string Database => Path.Combine(_cli.Home, "rotation.db");

    [Theory]
    [InlineData("inventory")]
    [InlineData("init")]
    public async Task A_zero_byte_database_is_refused_and_stays_zero_bytes(string command)
    {
        Directory.CreateDirectory(_cli.Home);
        await File.WriteAllBytesAsync(Database, []);

        var result = command == "init" ? await _cli.RunAsync("init", "--domain", Domain) : await _cli.RunAsync(command);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("is damaged: it is empty (0 bytes)", line, StringComparison.Ordinal);
        Assert.Contains("Restore rotation.db and keys/ together from your backup", line, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(Database).Length);
    }

    [Fact]
    public async Task A_database_corrupted_mid_file_is_refused_by_init_and_inventory_and_not_written()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var page = await RootPageOfAsync("authorities");
        await using (var file = new FileStream(Database, FileMode.Open, FileAccess.Write))
        {
            file.Seek((page - 1) * 4096L, SeekOrigin.Begin);
            await file.WriteAsync(Enumerable.Repeat((byte)0xA5, 4096).ToArray());
        }

        var before = SHA256.HashData(await File.ReadAllBytesAsync(Database));

        var init = await _cli.RunAsync("init", "--domain", "other.internal");
        var inventory = await _cli.RunAsync("inventory");

        Assert.Equal(1, init.ExitCode);
        Assert.Contains("is damaged", Assert.Single(init.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(1, inventory.ExitCode);
        Assert.Contains("is damaged", Assert.Single(inventory.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(Database)));
    }

    private async Task<long> RootPageOfAsync(string table)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT rootpage FROM sqlite_master WHERE name = $name";
        command.Parameters.AddWithValue("$name", table);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

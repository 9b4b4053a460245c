using Rotation.Infra.Sqlite;

namespace Rotation.Cli.Tests.Support;

/// <summary>Opens a home's state store directly, to check what a command committed.</summary>
public static class Homes
{
    public static SqliteStateStore Store(string home) =>
        new(new SqliteStoreOptions { DatabasePath = Path.Combine(home, CliServices.DatabaseFileName) });
}

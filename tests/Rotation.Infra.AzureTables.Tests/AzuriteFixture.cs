using Azure.Data.Tables;

namespace Rotation.Infra.AzureTables.Tests;

/// <summary>One Azurite Table service per test class; each test gets its own table.</summary>
public sealed class AzuriteFixture : IDisposable
{
    public AzuriteFixture() => Azurite = AzuriteTables.Start();

    public AzuriteTables Azurite { get; }

    public TableServiceClient Service() => new(Azurite.ConnectionString);

    public TableStateStore NewStore(string? table = null, TimeProvider? time = null) =>
        new(new TableStoreOptions { ConnectionString = Azurite.ConnectionString, TableName = table ?? AzuriteTables.NewTableName() }, time);

    public void Dispose() => Azurite.Dispose();
}

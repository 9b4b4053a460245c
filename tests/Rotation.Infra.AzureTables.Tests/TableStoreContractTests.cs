using Rotation.Core.Ports;
using Rotation.Testing.StateStores;

namespace Rotation.Infra.AzureTables.Tests;

/// <summary>The shared state-store contract against real Azurite; a second client is a second store on the same table.</summary>
public sealed class TableStoreContractTests : StateStoreContract, IClassFixture<AzuriteFixture>
{
    private readonly AzuriteFixture _azurite;
    private readonly string _table = AzuriteTables.NewTableName();

    public TableStoreContractTests(AzuriteFixture azurite) => _azurite = azurite;

    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(_azurite.NewStore(_table));

    protected override IStateStore OpenAnother() => _azurite.NewStore(_table);
}

using Rotation.Core.Ports;
using Rotation.Testing.StateStores;

namespace Rotation.Infra.Sqlite.Tests;

/// <summary>The shared state-store contract against a real rotation.db; a second client is a second store on the same file.</summary>
public sealed class SqliteStoreContractTests : StateStoreContract, IDisposable
{
    private readonly StoreFixture _fixture = new();

    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(_fixture.Store);

    protected override IStateStore OpenAnother() => _fixture.Open();

    public void Dispose() => _fixture.Dispose();
}

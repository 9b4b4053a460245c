using Rotation.Core.Ports;
using Rotation.Testing.StateStores;

namespace Rotation.Core.Tests.Rotations.Support;

/// <summary>The in-memory engine-test store is held to the same contract as the real stores.</summary>
public sealed class InMemoryStoreContractTests : StateStoreContract
{
    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(new InMemoryStateStore());
}

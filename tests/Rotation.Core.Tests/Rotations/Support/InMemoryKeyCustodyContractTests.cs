using Rotation.Core.Ports;
using Rotation.Testing.Custody;

namespace Rotation.Core.Tests.Rotations.Support;

/// <summary>The engine tests' in-memory custody is held to the same contract as the local vault and Key Vault.</summary>
public sealed class InMemoryKeyCustodyContractTests : KeyCustodyContract
{
    protected override Task<IKeyCustody> CreateCustodyAsync() => Task.FromResult<IKeyCustody>(new InMemoryKeyCustody());
}

using Rotation.Core.Ports;
using Rotation.Testing.Custody;

namespace Rotation.Infra.LocalVault.Tests;

/// <summary>The custody contract against the local vault: a fresh key directory per test.</summary>
public sealed class LocalKeyCustodyContractTests : KeyCustodyContract, IDisposable
{
    private readonly TempDirectory _root = new();

    protected override Task<IKeyCustody> CreateCustodyAsync() =>
        Task.FromResult<IKeyCustody>(new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = _root.Combine("home", "keys", Guid.NewGuid().ToString("N")) }));

    public void Dispose() => _root.Dispose();
}

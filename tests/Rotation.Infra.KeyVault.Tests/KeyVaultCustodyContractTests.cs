using Rotation.Core.Ports;
using Rotation.Testing.Custody;

namespace Rotation.Infra.KeyVault.Tests;

/// <summary>The custody contract against Key Vault: the real SDK clients over the Key Vault test server, one vault per test.</summary>
public sealed class KeyVaultCustodyContractTests : KeyCustodyContract, IAsyncLifetime
{
    private readonly List<KeyVaultFixture> _fixtures = [];

    protected override async Task<IKeyCustody> CreateCustodyAsync()
    {
        var fixture = await KeyVaultFixture.StartAsync();
        _fixtures.Add(fixture);
        return fixture.Custody();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var fixture in _fixtures)
        {
            await fixture.DisposeAsync();
        }
    }
}

using Azure.Core;
using Azure.Core.Pipeline;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Infra.AzureTables;
using Rotation.Infra.KeyVault;
using Rotation.Infra.KeyVault.Simulator;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// --vault / --store / --events, their variables and HOME/rotation.json: real commands against Azurite (store) and the
/// Key Vault test server (custody), one clear line per bad value before anything runs, and flag &gt; environment &gt;
/// configuration file &gt; embedded default.
/// </summary>
public sealed class AdapterSelectionTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli");
    private readonly CliRunner _cli;
    private SimulatedKeyVault _vault = null!;
    private AzuriteTables _azurite = null!;
    private HttpClient _http = null!;

    public AdapterSelectionTests() => _cli = new CliRunner(_temp.File("home"));

    private string VaultAddress => "keyvault:" + _vault.VaultUri.ToString().TrimEnd('/');

    private string StoreAddress => "tables:" + _azurite.ConnectionString;

    public async Task InitializeAsync()
    {
        _vault = new SimulatedKeyVault("rot-" + Guid.NewGuid().ToString("N")[..12]);
        await _vault.StartAsync();
        _azurite = AzuriteTables.Start();
        _http = new HttpClient(_vault.CreateHandler());
        var transport = new HttpClientTransport(_http);
        _cli.AzureCredential = new StaticTokenCredential(_vault.AcceptedToken);
        _cli.ConfigureKeyVaultClient = options =>
        {
            options.Transport = transport;
            options.Retry.Delay = TimeSpan.FromMilliseconds(20);
        };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _vault.DisposeAsync();
        await _azurite.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Init_and_inventory_run_on_Azurite_and_Key_Vault_with_nothing_in_the_home()
    {
        var init = await _cli.SucceedAsync("--store", StoreAddress, "--vault", VaultAddress, "init", "--domain", Domain);
        var inventory = await _cli.SucceedAsync("--store", StoreAddress, "--vault", VaultAddress, "inventory");

        Assert.Contains($"Created trust domain {Domain}", init.StdOut, StringComparison.Ordinal);
        Assert.Contains(" root ", inventory.StdOut, StringComparison.Ordinal);
        Assert.Contains(" intermediate ", inventory.StdOut, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_cli.Home, CliServices.DatabaseFileName)));
        Assert.False(Directory.Exists(Path.Combine(_cli.Home, CliServices.KeyDirectoryName)));
        // The keys are Key Vault certificates under their mapped names: root (temporary + merged) and intermediate.
        Assert.Equal(2, _vault.Versions(KeyVaultNames.For(Domain + "-root-init")).Count);
        Assert.Single(_vault.Versions(KeyVaultNames.For(Domain + "-int-init")));
        // Without the adapters the home has no state: the default SQLite store finds no home.
        var local = await _cli.RunAsync("inventory");
        Assert.Equal(1, local.ExitCode);
        Assert.Contains("no Rotation home", local.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_root_rotation_runs_in_process_on_Azurite_and_Key_Vault_and_disables_the_retired_keys()
    {
        _cli.Environment[AdapterSettings.StoreVariable] = StoreAddress;
        _cli.Environment[AdapterSettings.VaultVariable] = VaultAddress;
        // Real time, short gates (as HostClusterTests): the CLI's waits run on the clock the commands see.
        _cli.Clock = TimeProvider.System;
        var mesh = new SimulatedMesh("prod-west/istio", TimeProvider.System, "web", "api");
        _cli.Targets = mesh;
        await _cli.SucceedAsync("init", "--domain", Domain);
        var store = new TableStateStore(new TableStoreOptions { ConnectionString = _azurite.ConnectionString }, TimeProvider.System);
        var custody = new KeyVaultKeyCustody(new KeyVaultCustodyOptions { VaultUri = _vault.VaultUri, ConfigureClient = _cli.ConfigureKeyVaultClient }, _cli.AzureCredential!);
        var before = new CaInventory(Domain, await store.ListAuthoritiesAsync(Domain));
        mesh.Seed(new IssuerMaterial(
            CertificateWithKey.Create(before.ActiveIntermediate.Certificate, await custody.ExportAsync(before.ActiveIntermediate.Key)),
            [before.ActiveIntermediate.Certificate, before.ActiveRoot.Certificate],
            TrustBundle.Of(before.ActiveRoot.Certificate)));

        var rotate = await _cli.SucceedAsync("rotate", "root", "--max-leaf-ttl", "2s", "--leaf-grace", "1s", "--gate-retry", "200ms");
        var id = System.Text.RegularExpressions.Regex.Match(rotate.StdOut, @"rot-\d{14}-[0-9a-f]{6}").Value;
        await _cli.SucceedAsync("approve", id);
        var resume = await _cli.SucceedAsync("resume", id);

        Assert.Contains($"completed {id}", resume.StdOut, StringComparison.Ordinal);
        var after = new CaInventory(Domain, await store.ListAuthoritiesAsync(Domain));
        Assert.Equal(CaStatus.Retired, after.Find(before.ActiveRoot.Id)!.Status);
        Assert.Equal(after.ActiveIntermediate.Certificate, mesh.IssuerCertificate);
        Assert.False(File.Exists(Path.Combine(_cli.Home, CliServices.DatabaseFileName)));
        foreach (var old in new[] { before.ActiveRoot, before.ActiveIntermediate })
        {
            Assert.False(_vault.Versions(KeyVaultNames.For(old.Key.Name)).Single(v => v.Version == old.Key.Version).Enabled);
            await Assert.ThrowsAsync<PkiException>(() => custody.SignAsync(old.Key, new byte[] { 1 }));
        }
    }

    [Fact]
    public async Task Adopt_imports_an_istio_cacerts_directory_into_Key_Vault_and_the_root_key_never_comes_back()
    {
        var made = await OpenSslCaFiles.IstioAsync(_temp.File("cacerts"));
        _cli.Clock = TimeProvider.System; // openssl made the CAs valid from the moment it wrote them

        await _cli.SucceedAsync("--store", StoreAddress, "--vault", VaultAddress, "adopt", "--domain", Domain, "--from-dir", made.Directory);

        var store = new TableStateStore(new TableStoreOptions { ConnectionString = _azurite.ConnectionString }, TimeProvider.System);
        var adopted = new CaInventory(Domain, await store.ListAuthoritiesAsync(Domain));
        Assert.Equal(Certificate.FromPem(await File.ReadAllTextAsync(made.RootCert)), adopted.ActiveRoot.Certificate);
        Assert.Equal(KeyVaultKeyCustody.ProviderName, adopted.ActiveRoot.Key.Provider);
        var rootVersion = Assert.Single(_vault.Versions(KeyVaultNames.For(adopted.ActiveRoot.Key.Name)));
        Assert.Equal("false", rootVersion.Tags["rotation-exportable"]);
        Assert.Equal("true", Assert.Single(_vault.Versions(KeyVaultNames.For(adopted.ActiveIntermediate.Key.Name))).Tags["rotation-exportable"]);

        // The root key went in once, inside the import request; no answer of the vault carries it back.
        var rootPkcs8 = Convert.ToBase64String(PrivateKey.FromPem(await File.ReadAllTextAsync(made.RootKey)).ExportPkcs8Der());
        Assert.Contains(_vault.Exchanges, e => e.Path.EndsWith("/import", StringComparison.Ordinal) && e.Status == 200);
        Assert.All(_vault.Exchanges, e => Assert.DoesNotContain(rootPkcs8, e.ResponseBody.Replace("\\n", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal));
        var inventory = await _cli.SucceedAsync("--store", StoreAddress, "--vault", VaultAddress, "inventory");
        Assert.Contains(" root ", inventory.StdOut, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_cli.Home, CliServices.DatabaseFileName)));
    }

    [Fact]
    public async Task The_home_configuration_file_and_the_environment_choose_the_adapters_once()
    {
        Directory.CreateDirectory(_cli.Home);
        await File.WriteAllTextAsync(
            Path.Combine(_cli.Home, AdapterSettings.ConfigFileName),
            $$"""{"vault": "{{VaultAddress}}", "store": "{{StoreAddress.Replace("\\", "\\\\", StringComparison.Ordinal)}}"}""");

        await _cli.SucceedAsync("init", "--domain", Domain);
        Assert.False(File.Exists(Path.Combine(_cli.Home, CliServices.DatabaseFileName)));
        Assert.Equal(2, _vault.Versions(KeyVaultNames.For(Domain + "-root-init")).Count);

        // The environment beats the file: the embedded defaults, chosen by name, make a local home.
        _cli.Environment[AdapterSettings.StoreVariable] = "sqlite";
        _cli.Environment[AdapterSettings.VaultVariable] = "local";
        await _cli.SucceedAsync("init", "--domain", "other.example.internal");
        Assert.True(File.Exists(Path.Combine(_cli.Home, CliServices.DatabaseFileName)));
        Assert.True(Directory.Exists(Path.Combine(_cli.Home, CliServices.KeyDirectoryName)));

        // And a flag beats the environment: the Azurite store still holds the first domain only.
        var inventory = await _cli.SucceedAsync("--store", StoreAddress, "--vault", VaultAddress, "inventory", "--json");
        Assert.Contains(Domain, inventory.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("other.example.internal", inventory.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Precedence_is_flag_then_environment_then_configuration_file_then_default()
    {
        Directory.CreateDirectory(_cli.Home);
        var config = Path.Combine(_cli.Home, AdapterSettings.ConfigFileName);
        await File.WriteAllTextAsync(config, """{"store": "file-store:x", "vault": "local"}""");
        _cli.Environment[AdapterSettings.StoreVariable] = "env-store:x";

        // Each level names itself when its value is the one used (and wrong): flag first, then the variable, then the file.
        var flag = await _cli.RunAsync("--store", "flag-store:x", "inventory");
        var environment = await _cli.RunAsync("inventory");
        _cli.Environment.Remove(AdapterSettings.StoreVariable);
        var file = await _cli.RunAsync("inventory");

        Assert.Contains("--store 'flag-store:x': unknown store 'flag-store'", flag.StdErr, StringComparison.Ordinal);
        Assert.Contains("ROTATION_STORE 'env-store:x': unknown store 'env-store'", environment.StdErr, StringComparison.Ordinal);
        Assert.Contains($"{config} \"store\" 'file-store:x': unknown store 'file-store'", file.StdErr, StringComparison.Ordinal);
        Assert.All([flag, environment, file], r => Assert.Equal(2, r.ExitCode));

        // Nothing anywhere: the embedded defaults (a local home with rotation.db and keys/).
        File.Delete(config);
        await _cli.SucceedAsync("init", "--domain", Domain);
        Assert.True(File.Exists(Path.Combine(_cli.Home, CliServices.DatabaseFileName)));
        Assert.True(Directory.Exists(Path.Combine(_cli.Home, CliServices.KeyDirectoryName)));
    }

    [Theory]
    [InlineData("--vault", "hsm:https://x.vault.azure.net", "--vault 'hsm:https://x.vault.azure.net': unknown vault 'hsm'")]
    [InlineData("--vault", "keyvault:http://x.vault.azure.net", "--vault 'keyvault:http://x.vault.azure.net': the vault is its https URL")]
    [InlineData("--vault", "keyvault:https://x.vault.azure.net/keys", "the vault is its https URL with nothing after the host")]
    [InlineData("--store", "tables:not a url", "--store 'tables:not a url': the store is tables:https://ACCOUNT.table.core.windows.net")]
    [InlineData("--store", "tables:AccountName=x;Nonsense", "--store: the Table Storage connection string is malformed")]
    [InlineData("--store", "postgres:x", "--store 'postgres:x': unknown store 'postgres'")]
    [InlineData("--events", "kafka:https://b.example", "--events 'kafka:https://b.example' is not eventgrid:URL or webhook:URL")]
    [InlineData("--events", "eventgrid:http://t.example/api/events", "an Event Grid topic endpoint is https")]
    public async Task A_bad_value_is_one_line_and_exit_2_before_anything_runs(string option, string value, string expected)
    {
        // init would create the home; validation comes first, so nothing is created.
        var result = await _cli.RunAsync(option, value, "init", "--domain", Domain);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.StdErr, StringComparison.Ordinal);
        Assert.Single(result.StdErr.Trim().Split('\n'));
        Assert.False(Directory.Exists(_cli.Home));
    }

    [Fact]
    public async Task A_connection_string_with_an_account_key_is_never_echoed()
    {
        _cli.Environment[AdapterSettings.StoreVariable] = "blob:AccountName=a;AccountKey=c2VjcmV0";

        var result = await _cli.RunAsync("inventory");

        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("c2VjcmV0", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("ROTATION_STORE '(connection string)': unknown store 'blob'", result.StdErr, StringComparison.Ordinal);
    }
}

using System.Text.Json;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

public sealed class InitAndInventoryTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli");
    private readonly CliRunner _cli;

    public InitAndInventoryTests() => _cli = new CliRunner(_temp.File("home"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Init_creates_a_root_and_an_intermediate_that_the_inventory_table_shows()
    {
        var init = await _cli.SucceedAsync("init", "--domain", Domain);
        Assert.Contains($"Created trust domain {Domain}", init.StdOut);

        var inventory = await _cli.SucceedAsync("inventory");

        var lines = inventory.StdOut.Split('\n');
        var rootLine = Assert.Single(lines, l => l.Contains(" root ", StringComparison.Ordinal));
        var intermediateLine = Assert.Single(lines, l => l.Contains(" intermediate ", StringComparison.Ordinal));
        Assert.Contains($"CN={Domain} Root CA 2026-03-01,O={Domain}", rootLine);
        Assert.Contains("2036-02-27 09:00 UTC", rootLine); // 10y of 365 days from the fake clock's 2026-03-01 09:00
        Assert.Contains($"CN={Domain} Intermediate CA 2026-03-01,O={Domain}", intermediateLine);
        Assert.Contains("2027-03-01 09:00 UTC", intermediateLine);
        Assert.All([rootLine, intermediateLine], l => Assert.Contains("active", l));
        Assert.All([rootLine, intermediateLine], l => Assert.Contains("100.0%", l));
        Assert.All([rootLine, intermediateLine], l => Assert.Contains(" ok ", l));
        Assert.Empty(inventory.StdErr);
    }

    [Fact]
    public async Task Inventory_json_lists_both_cas_with_the_fields_scripts_rely_on()
    {
        await _cli.SucceedAsync("init", "--domain", Domain, "--key", "ecdsa-p384", "--root-validity", "5y", "--intermediate-validity", "90d");
        _cli.Time.Advance(TimeSpan.FromDays(45));

        var result = await _cli.SucceedAsync("inventory", "--json");

        using var json = JsonDocument.Parse(result.StdOut);
        var items = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        var root = Assert.Single(items, i => i.GetProperty("role").GetString() == "root");
        var intermediate = Assert.Single(items, i => i.GetProperty("role").GetString() == "intermediate");
        foreach (var item in items)
        {
            Assert.Equal(Domain, item.GetProperty("domain").GetString());
            Assert.Equal("active", item.GetProperty("status").GetString());
            Assert.Equal("ok", item.GetProperty("expiryState").GetString());
            Assert.Equal("ecdsa-p384", item.GetProperty("keyAlgorithm").GetString());
            Assert.Equal(CliRunner.Epoch.AddMinutes(-5), item.GetProperty("notBefore").GetDateTimeOffset()); // backdated 5 min like rotated CAs
            Assert.Matches("^[0-9a-f]{64}$", item.GetProperty("sha256").GetString()!);
        }

        Assert.Equal(CliRunner.Epoch.AddDays(5 * 365), root.GetProperty("notAfter").GetDateTimeOffset());
        Assert.Equal(CliRunner.Epoch.AddDays(90), intermediate.GetProperty("notAfter").GetDateTimeOffset());
        Assert.Equal(50.0, intermediate.GetProperty("lifetimeLeftPercent").GetDouble(), precision: 2);
        Assert.Equal(100.0 * (5 * 365 - 45) / (5 * 365), root.GetProperty("lifetimeLeftPercent").GetDouble(), precision: 2);
        Assert.Equal(root.GetProperty("subject").GetString(), intermediate.GetProperty("issuer").GetString());

        // The fingerprints are those of the certificates the CA actually hands out.
        var exported = _temp.File("istio");
        await _cli.SucceedAsync("export", "istio", "--out", exported);
        Assert.Equal(root.GetProperty("sha256").GetString(), Certificate.FromPem(File.ReadAllText(Path.Combine(exported, "root-cert.pem"))).Sha256);
        Assert.Equal(intermediate.GetProperty("sha256").GetString(), Certificate.FromPem(File.ReadAllText(Path.Combine(exported, "ca-cert.pem"))).Sha256);
    }

    [Theory]
    [InlineData("rsa-2048", KeyAlgorithm.Rsa2048)]
    [InlineData("ecdsa-p256", KeyAlgorithm.EcdsaP256)]
    public async Task Init_mints_both_cas_with_the_requested_key_algorithm(string name, KeyAlgorithm expected)
    {
        await _cli.SucceedAsync("init", "--domain", Domain, "--key", name);

        var authorities = await Homes.Store(_cli.Home).ListAuthoritiesAsync(Domain);

        Assert.Equal(2, authorities.Count);
        Assert.All(authorities, a => Assert.Equal(expected, a.KeyAlgorithm));
        var intermediate = Assert.Single(authorities, a => a.Role == Core.Domain.CaRole.Intermediate);
        Assert.Equal(0, intermediate.Certificate.PathLength);
        Assert.True(intermediate.Certificate.IsSignedBy(authorities.Single(a => a.Role == Core.Domain.CaRole.Root).Certificate));
    }

    [Fact]
    public async Task Init_of_an_existing_domain_is_refused_in_one_line_and_changes_nothing()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var before = HomeSnapshot.Take(_cli.Home);

        var again = await _cli.RunAsync("init", "--domain", Domain);

        Assert.Equal(1, again.ExitCode);
        var line = Assert.Single(again.ErrorLines);
        Assert.StartsWith($"error: trust domain '{Domain}' already exists", line);
        Assert.Empty(again.StdOut);
        before.AssertUnchanged(_cli.Home);
    }

    [Theory]
    [InlineData("--key", "dsa-1024", "--key: unknown key algorithm 'dsa-1024'")]
    [InlineData("--root-validity", "10x", "--root-validity: invalid duration '10x'")]
    [InlineData("--intermediate-validity", "0d", "--intermediate-validity: duration '0d' is zero")]
    public async Task Bad_option_values_are_usage_errors_and_create_no_home(string option, string value, string expected)
    {
        var result = await _cli.RunAsync("init", "--domain", Domain, option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: {expected}", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(_cli.Home));
    }

    [Theory]
    [InlineData("Mesh.Example", "uppercase")]
    [InlineData("mesh..internal", "empty label")]
    [InlineData("mesh_internal", "characters other than")]
    [InlineData("-mesh", "starts or ends with '-'")]
    public async Task A_malformed_domain_name_is_refused_before_anything_is_created(string domain, string reason)
    {
        var result = await _cli.RunAsync("init", "--domain", domain);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"error: invalid trust domain name '{domain}'", line);
        Assert.Contains(reason, line);
        Assert.False(Directory.Exists(_cli.Home));
    }

    [Fact]
    public async Task An_intermediate_that_would_outlive_its_root_is_refused_before_anything_is_created()
    {
        var result = await _cli.RunAsync("init", "--domain", Domain, "--root-validity", "1y", "--intermediate-validity", "2y");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot outlive its root", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(_cli.Home));
    }

    [Fact]
    public async Task An_unknown_domain_is_named_with_the_known_ones_and_nothing_changes()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var before = HomeSnapshot.Take(_cli.Home);

        var result = await _cli.RunAsync("inventory", "--domain", "other.internal");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: unknown trust domain 'other.internal': known domains are {Domain}", Assert.Single(result.ErrorLines));
        before.AssertUnchanged(_cli.Home);
    }

    [Fact]
    public async Task With_two_domains_a_command_needs_domain_and_says_which_exist()
    {
        await _cli.SucceedAsync("init", "--domain", "a.internal");
        await _cli.SucceedAsync("init", "--domain", "b.internal");

        var ambiguous = await _cli.RunAsync("export", "bundle", "--out", _temp.File("bundle.pem"));
        var inventory = await _cli.SucceedAsync("inventory", "--json");
        var chosen = await _cli.SucceedAsync("export", "bundle", "--domain", "b.internal", "--out", _temp.File("bundle.pem"));

        Assert.Equal(1, ambiguous.ExitCode);
        Assert.Equal("error: there are 2 trust domains (a.internal, b.internal): choose one with --domain", Assert.Single(ambiguous.ErrorLines));
        using var json = JsonDocument.Parse(inventory.StdOut);
        Assert.Equal(["a.internal", "a.internal", "b.internal", "b.internal"], json.RootElement.EnumerateArray().Select(i => i.GetProperty("domain").GetString()).Order());
        Assert.Contains("b.internal Root CA", Certificate.FromPem(File.ReadAllText(_temp.File("bundle.pem"))).Subject);
        Assert.Equal(0, chosen.ExitCode);
    }

    [Fact]
    public async Task Commands_other_than_init_do_not_create_a_missing_home()
    {
        var result = await _cli.RunAsync("inventory");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: no Rotation home at {_cli.Home}", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(_cli.Home));
    }

    [Fact]
    public async Task Home_comes_from_ROTATION_HOME_when_there_is_no_home_option()
    {
        _cli.Environment[CliContext.HomeVariable] = _cli.Home;

        await _cli.RunRawAsync("init", "--domain", Domain);

        Assert.True(File.Exists(Path.Combine(_cli.Home, "rotation.db")));
        Assert.Single(await Homes.Store(_cli.Home).ListDomainsAsync());
    }

    [Fact]
    public async Task Keys_are_stored_encrypted_and_owner_only_and_the_store_holds_only_references()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);

        var keyFiles = Directory.GetFiles(Path.Combine(_cli.Home, "keys"), "*.key.pem");
        var authorities = await Homes.Store(_cli.Home).ListAuthoritiesAsync(Domain);

        Assert.Equal(2, keyFiles.Length);
        Assert.All(keyFiles, f => Assert.StartsWith(PemLabels.Begin(PemLabels.EncryptedPkcs8), File.ReadAllText(f)));
        Assert.All(keyFiles, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        // Keys are made in custody before their certificates exist, so init names them by role (builds before custody
        // named them after the CA id; those homes keep their names), and the store records the exact version.
        Assert.All(authorities, a => Assert.Equal($"{Domain}-{(a.Role == CaRole.Root ? "root" : "int")}-init", a.Key.Name));
        Assert.All(authorities, a => Assert.Equal("1", a.Key.Version));
        Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(Path.Combine(_cli.Home, "rotation.db")));
    }
}

using Rotation.Cli.Tests.Support;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

public sealed class ExportTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempDirectory _temp = new("rotation-cli");
    private readonly CliRunner _cli;

    public ExportTests()
    {
        _cli = new CliRunner(_temp.File("home"));
        // openssl checks validity against the real clock, so these tests mint with it.
        _cli.Time.SetUtcNow(DateTimeOffset.UtcNow);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Istio_files_hold_the_active_intermediate_its_key_0600_the_roots_and_the_chain()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var authorities = await Homes.Store(_cli.Home).ListAuthoritiesAsync(Domain);
        var root = authorities.Single(a => a.Role == Core.Domain.CaRole.Root).Certificate;
        var intermediate = authorities.Single(a => a.Role == Core.Domain.CaRole.Intermediate).Certificate;
        var output = _temp.File("istio");

        await _cli.SucceedAsync("export", "istio", "--out", output);

        Assert.Equal(["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"], Directory.GetFiles(output).Select(Path.GetFileName).Order());
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(output, "ca-key.pem")));
        Assert.Equal(intermediate, Certificate.FromPem(Read(output, "ca-cert.pem")));
        Assert.Equal([root], Pem.ReadCertificates(Read(output, "root-cert.pem")));
        Assert.Equal([intermediate, root], Pem.ReadCertificates(Read(output, "cert-chain.pem")));
        var key = Read(output, "ca-key.pem");
        Assert.StartsWith(PemLabels.Begin(PemLabels.Pkcs8), key);
        Assert.True(PrivateKey.FromPem(key).Matches(intermediate));
    }

    [Fact]
    public async Task Re_exporting_over_a_wider_key_file_leaves_it_0600()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var output = _temp.File("istio");
        var keyFile = Path.Combine(output, "ca-key.pem");
        Directory.CreateDirectory(output);
        File.WriteAllText(keyFile, "stale");
        File.SetUnixFileMode(keyFile, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await _cli.SucceedAsync("export", "istio", "--out", output);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(keyFile));
        Assert.StartsWith(PemLabels.Begin(PemLabels.Pkcs8), File.ReadAllText(keyFile));
    }

    [Fact]
    public async Task Openssl_verifies_an_issued_leaf_against_the_exported_istio_files()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var istio = _temp.File("istio");
        var leaf = _temp.File("leaf");
        await _cli.SucceedAsync("export", "istio", "--out", istio);

        await _cli.SucceedAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/ns/default/sa/web", "--dns", "web.default.svc", "--dns", "web", "--ttl", "2h", "--out", leaf);

        var verify = await OpenSsl.RunAsync(
            "verify", "-CAfile", Path.Combine(istio, "root-cert.pem"), "-untrusted", Path.Combine(istio, "ca-cert.pem"), Path.Combine(leaf, "cert.pem"));
        Assert.True(verify.Succeeded, verify.ToString());
        var issued = Certificate.FromPem(Read(leaf, "cert.pem"));
        Assert.Equal([$"spiffe://{Domain}/ns/default/sa/web"], issued.UriNames);
        Assert.Equal(["web.default.svc", "web"], issued.DnsNames);
        Assert.Equal(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(5), issued.Lifetime); // --ttl 2h from now, backdated 5 min
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(leaf, "key.pem")));
        Assert.True(PrivateKey.FromPem(Read(leaf, "key.pem")).Matches(issued));
        Assert.Equal(issued, Pem.ReadCertificates(Read(leaf, "chain.pem"))[0]);
        Assert.Equal(Read(istio, "root-cert.pem"), Read(leaf, "bundle.pem"));
    }

    [Theory]
    [InlineData("spiffe://other.internal/ns/default/sa/web", "its trust domain 'other.internal' is not 'mesh.example.internal'")]
    [InlineData("https://mesh.example.internal/web", "it does not start with 'spiffe://'")]
    [InlineData("spiffe://mesh.example.internal", "it has no path")]
    [InlineData("spiffe://mesh.example.internal/ns//sa", "empty segment")]
    public async Task A_bad_spiffe_id_is_refused_in_one_line_and_writes_nothing(string spiffeId, string reason)
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var before = HomeSnapshot.Take(_cli.Home);

        var result = await _cli.RunAsync("issue-leaf", "--spiffe-id", spiffeId, "--out", _temp.File("leaf"));

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"error: invalid SPIFFE id '{spiffeId}'", line);
        Assert.Contains(reason, line);
        Assert.False(Directory.Exists(_temp.File("leaf")));
        before.AssertUnchanged(_cli.Home);
    }

    [Fact]
    public async Task A_leaf_that_would_outlive_its_intermediate_is_refused()
    {
        await _cli.SucceedAsync("init", "--domain", Domain, "--intermediate-validity", "30d");

        var result = await _cli.RunAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/web", "--ttl", "31d", "--out", _temp.File("leaf"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("would outlive the issuing intermediate", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(_temp.File("leaf")));
    }

    [Fact]
    public async Task A_wrong_passphrase_fails_in_one_line_and_changes_nothing()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var before = HomeSnapshot.Take(_cli.Home);
        _cli.Environment[CliContext.PassphraseVariable] = "not the passphrase";

        var export = await _cli.RunAsync("export", "istio", "--out", _temp.File("istio"));
        var leaf = await _cli.RunAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/web", "--out", _temp.File("leaf"));

        foreach (var result in new[] { export, leaf })
        {
            Assert.Equal(1, result.ExitCode);
            var line = Assert.Single(result.ErrorLines);
            Assert.StartsWith("error: cannot decrypt key", line);
            Assert.Contains("ROTATION_VAULT_PASSPHRASE", line);
            Assert.DoesNotContain("not the passphrase", line);
        }

        Assert.False(Directory.Exists(_temp.File("istio")));
        Assert.False(Directory.Exists(_temp.File("leaf")));
        before.AssertUnchanged(_cli.Home);
    }

    [Fact]
    public async Task A_second_domain_is_refused_under_a_passphrase_that_does_not_open_the_existing_keys()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var before = HomeSnapshot.Take(_cli.Home);
        _cli.Environment[CliContext.PassphraseVariable] = "another passphrase";

        var result = await _cli.RunAsync("init", "--domain", "second.internal");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: cannot decrypt key", Assert.Single(result.ErrorLines));
        before.AssertUnchanged(_cli.Home);
    }

    [Fact]
    public async Task Without_a_configured_passphrase_init_generates_one_and_later_commands_use_it()
    {
        _cli.Environment.Remove(CliContext.PassphraseVariable);

        await _cli.SucceedAsync("init", "--domain", Domain);
        await _cli.SucceedAsync("export", "istio", "--out", _temp.File("istio"));

        var passphraseFile = Path.Combine(_cli.Home, "keys", "vault.passphrase");
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(passphraseFile));
        Assert.True(File.Exists(_temp.File("istio/ca-key.pem")));
    }

    [Fact]
    public async Task The_bundle_export_holds_every_root_that_is_not_retired()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var root = (await Homes.Store(_cli.Home).ListAuthoritiesAsync(Domain)).Single(a => a.Role == Core.Domain.CaRole.Root);

        await _cli.SucceedAsync("export", "bundle", "--out", _temp.File("out/bundle.pem"));

        Assert.Equal([root.Certificate], Pem.ReadCertificates(File.ReadAllText(_temp.File("out/bundle.pem"))));
    }

    private static string Read(string directory, string file) => File.ReadAllText(Path.Combine(directory, file));
}

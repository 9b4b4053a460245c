using Org.BouncyCastle.Asn1.X509;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>rotation verify needs no home: chain and bundle files in, exit code and one line out.</summary>
public sealed class VerifyTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new("rotation-cli");
    private readonly CliRunner _cli;
    private readonly TestHierarchy _pki = TestPki.Hierarchy(Now);

    public VerifyTests()
    {
        _cli = new CliRunner(_temp.File("home"));
        _cli.Time.SetUtcNow(Now);
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("server")]
    [InlineData("client")]
    [InlineData("any")]
    public async Task A_mesh_leaf_verifies_for_every_purpose(string purpose)
    {
        var chain = WriteChain(_pki.Leaf().Certificate, _pki.Intermediate.Certificate);

        var result = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", WriteBundle(_pki.Root.Certificate), "--purpose", purpose);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("valid: CN=web chains to CN=Root A", result.StdOut);
        Assert.Empty(result.StdErr);
    }

    [Fact]
    public async Task A_server_only_leaf_verifies_as_server_and_fails_as_client()
    {
        var serverOnly = TestPki.Custom("CN=server-only")
            .AsLeaf(KeyPurposeID.id_kp_serverAuth)
            .Valid(Now.AddHours(-1), Now.AddHours(1))
            .IssuedBy(_pki.Intermediate)
            .Build();
        var chain = WriteChain(serverOnly.Certificate, _pki.Intermediate.Certificate);
        var bundle = WriteBundle(_pki.Root.Certificate);

        var asServer = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", bundle, "--purpose", "server");
        var asClient = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", bundle, "--purpose", "client");

        Assert.Equal(0, asServer.ExitCode);
        Assert.Equal(4, asClient.ExitCode);
        Assert.StartsWith("error: chain is not valid (ExtendedKeyUsageMissing)", Assert.Single(asClient.ErrorLines));
    }

    [Fact]
    public async Task A_leaf_checked_after_its_expiry_is_invalid()
    {
        var chain = WriteChain(_pki.Leaf().Certificate, _pki.Intermediate.Certificate);

        var result = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", WriteBundle(_pki.Root.Certificate), "--at", "2026-06-03T00:00:00Z");

        Assert.Equal(4, result.ExitCode);
        Assert.StartsWith("error: chain is not valid (Expired)", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task A_bundle_of_another_hierarchy_does_not_anchor_the_chain()
    {
        var other = TestPki.Hierarchy(Now, name: "B");

        var result = await _cli.RunRawAsync("verify", "--chain", WriteChain(_pki.Leaf().Certificate, _pki.Intermediate.Certificate), "--bundle", WriteBundle(other.Root.Certificate));

        Assert.Equal(4, result.ExitCode);
        Assert.StartsWith("error: chain is not valid (UnknownAuthority)", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task A_bundle_holding_old_and_new_roots_verifies_leaves_of_either()
    {
        var other = TestPki.Hierarchy(Now, name: "B");
        var bundle = WriteBundle(_pki.Root.Certificate, other.Root.Certificate);

        var oldLeaf = await _cli.RunRawAsync("verify", "--chain", WriteChain(_pki.Leaf().Certificate, _pki.Intermediate.Certificate), "--bundle", bundle);
        var newLeaf = await _cli.RunRawAsync("verify", "--chain", WriteChain(other.Leaf().Certificate, other.Intermediate.Certificate), "--bundle", bundle);

        Assert.Equal(0, oldLeaf.ExitCode);
        Assert.Equal(0, newLeaf.ExitCode);
        Assert.Contains("Root B", newLeaf.StdOut);
    }

    [Fact]
    public async Task Malformed_pem_is_one_line_naming_the_file()
    {
        var garbage = _temp.Write("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");

        var result = await _cli.RunRawAsync("verify", "--chain", garbage, "--bundle", WriteBundle(_pki.Root.Certificate));

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(garbage, line);
    }

    [Fact]
    public async Task A_missing_file_is_one_line_naming_it()
    {
        var missing = _temp.File("nope.pem");

        var result = await _cli.RunRawAsync("verify", "--chain", missing, "--bundle", WriteBundle(_pki.Root.Certificate));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: cannot read chain file '{missing}'", Assert.Single(result.ErrorLines));
    }

    [Theory]
    [InlineData("--purpose", "email", "--purpose: unknown purpose 'email'")]
    [InlineData("--at", "soon", "--at: invalid time 'soon'")]
    public async Task Bad_values_are_usage_errors(string option, string value, string expected)
    {
        var result = await _cli.RunRawAsync("verify", "--chain", WriteChain(_pki.Leaf().Certificate, _pki.Intermediate.Certificate), "--bundle", WriteBundle(_pki.Root.Certificate), option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: {expected}", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task A_missing_required_option_is_a_usage_error()
    {
        var result = await _cli.RunRawAsync("verify", "--chain", WriteChain(_pki.Leaf().Certificate, _pki.Intermediate.Certificate));

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("--bundle", line);
        Assert.EndsWith("(see 'rotation verify --help')", line);
    }

    private string WriteChain(params Certificate[] certificates) =>
        _temp.Write($"chain-{Guid.NewGuid():N}.pem", Pem.WriteCertificates(certificates));

    private string WriteBundle(params Certificate[] roots) =>
        _temp.Write($"bundle-{Guid.NewGuid():N}.pem", TrustBundle.Of(roots).ToPem());
}

using Org.BouncyCastle.Asn1.X509;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// rotation verify beside the real `openssl verify`: anchors, glued PEM markers, reversed chains, keys in bundles,
/// -x509_strict and the exit code of a verdict (4) versus unreadable input (1).
/// </summary>
public sealed class VerifyVerdictTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new("rotation-verify");
    private readonly Support.CliRunner _cli;
    private readonly TestHierarchy _pki = TestPki.Hierarchy(Now);

    public VerifyVerdictTests()
    {
        _cli = new Support.CliRunner(_temp.File("home"));
        _cli.Time.SetUtcNow(Now);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task The_leaf_itself_as_anchor_is_refused_like_openssl()
    {
        var leaf = _pki.Leaf().Certificate;
        var chain = Write("chain.pem", Pem.WriteCertificates([leaf, _pki.Intermediate.Certificate]));
        var bundle = Write("bundle.pem", leaf.ToPem());

        var ours = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", bundle);
        var openssl = await OpenSslVerifyAsync(bundle, chain, leaf);

        Assert.False(openssl.Succeeded, openssl.ToString());
        Assert.Equal(4, ours.ExitCode);
        Assert.StartsWith("error: chain is not valid (UnknownAuthority)", Assert.Single(ours.ErrorLines));
    }

    [Fact]
    public async Task An_intermediate_as_anchor_needs_partial_chain_like_openssl()
    {
        var leaf = _pki.Leaf().Certificate;
        var chain = Write("chain.pem", leaf.ToPem());
        var bundle = Write("bundle.pem", _pki.Intermediate.Certificate.ToPem());

        var ours = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", bundle);
        var oursPartial = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", bundle, "--partial-chain");
        var openssl = await OpenSslVerifyAsync(bundle, null, leaf);
        var opensslPartial = await OpenSslVerifyAsync(bundle, null, leaf, "-partial_chain");

        Assert.False(openssl.Succeeded, openssl.ToString());
        Assert.True(opensslPartial.Succeeded, opensslPartial.ToString());
        Assert.Equal(4, ours.ExitCode);
        Assert.Contains("not a self-signed root", Assert.Single(ours.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(0, oursPartial.ExitCode);
        Assert.StartsWith("valid: CN=web chains to CN=Intermediate A", oursPartial.StdOut);
    }

    [Fact]
    public async Task A_glued_end_begin_line_is_refused_with_its_line_number_and_the_fix()
    {
        // What `cat` makes of a first file without a trailing newline (Istio's root-cert-combined.pem).
        var other = TestPki.Hierarchy(Now, name: "B");
        var glued = _pki.Root.Certificate.ToPem().TrimEnd('\n') + other.Root.Certificate.ToPem();
        var bundle = Write("glued.pem", glued);
        var chain = Write("chain.pem", Pem.WriteCertificates([_pki.Leaf().Certificate, _pki.Intermediate.Certificate]));
        var gluedLine = glued.Split('\n').ToList().FindIndex(line => line.Contains("----------", StringComparison.Ordinal)) + 1;

        var ours = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", bundle);
        // openssl's PEM reader (what nginx uses) refuses the same file.
        var openssl = await OpenSsl.RunAsync("crl2pkcs7", "-nocrl", "-certfile", bundle);

        Assert.False(openssl.Succeeded, openssl.ToString());
        Assert.Contains("bad end line", openssl.StdErr, StringComparison.Ordinal);
        Assert.Equal(1, ours.ExitCode);
        var line = Assert.Single(ours.ErrorLines);
        Assert.StartsWith($"error: {bundle}: line {gluedLine}: ", line);
        Assert.Contains("put a line break between '-----END CERTIFICATE-----' and '-----BEGIN CERTIFICATE-----'", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reversed_chain_is_refused_naming_the_order()
    {
        var leaf = _pki.Leaf().Certificate;
        var chain = Write("reversed.pem", Pem.WriteCertificates([_pki.Intermediate.Certificate, leaf]));

        var result = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", Write("bundle.pem", _pki.Root.Certificate.ToPem()));

        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.StdOut);
        var line = Assert.Single(result.ErrorLines);
        Assert.True(line.Contains("certificate 2 'CN=web' is issued by certificate 1 'CN=Intermediate A,", StringComparison.Ordinal), line);
        Assert.True(line.Contains("reverse order; put the leaf first", StringComparison.Ordinal), line);
    }

    [Theory]
    [InlineData("bundle")]
    [InlineData("chain")]
    public async Task A_private_key_in_a_bundle_or_chain_is_refused_without_printing_it(string where)
    {
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256).ToPkcs8Pem();
        var leafChain = Pem.WriteCertificates([_pki.Leaf().Certificate, _pki.Intermediate.Certificate]);
        var root = _pki.Root.Certificate.ToPem();
        var chain = Write("chain.pem", where == "chain" ? leafChain + key : leafChain);
        var bundle = Write("bundle.pem", where == "bundle" ? root + key : root);
        var keyLine = (where == "chain" ? leafChain : root).Split('\n').Length;

        var result = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", bundle);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"error: {(where == "chain" ? chain : bundle)}: line {keyLine}: a private key block", line);
        var keyBody = key.Split('\n')[1];
        Assert.DoesNotContain(keyBody, result.StdOut + result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strict_applies_openssl_x509_strict_where_the_default_accepts()
    {
        // Istio's legacy sample root: basicConstraints not critical.
        var looseRoot = TestPki.Custom("CN=Loose Root").BasicConstraintsNotCritical().Valid(Now.AddDays(-1), Now.AddDays(30)).Build();
        var leaf = TestPki.Custom("CN=under loose root").AsLeaf(KeyPurposeID.id_kp_serverAuth).IssuedBy(looseRoot).Valid(Now.AddHours(-1), Now.AddHours(1)).Build().Certificate;
        var chain = Write("chain.pem", leaf.ToPem());
        var bundle = Write("bundle.pem", looseRoot.Certificate.ToPem());

        var lenient = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", bundle);
        var strict = await _cli.RunRawAsync("verify", "--chain", chain, "--bundle", bundle, "--strict");
        var openssl = await OpenSslVerifyAsync(bundle, null, leaf);
        var opensslStrict = await OpenSslVerifyAsync(bundle, null, leaf, "-x509_strict");

        Assert.True(openssl.Succeeded, openssl.ToString());
        Assert.False(opensslStrict.Succeeded, opensslStrict.ToString());
        Assert.Equal(0, lenient.ExitCode);
        Assert.Equal(4, strict.ExitCode);
        Assert.Contains("basicConstraints of a CA is not marked critical", Assert.Single(strict.ErrorLines), StringComparison.Ordinal);
    }

    private string Write(string name, string text) => _temp.Write($"{Guid.NewGuid():N}-{name}", text);

    private async Task<OpenSslResult> OpenSslVerifyAsync(string bundle, string? untrusted, Certificate leaf, params string[] flags)
    {
        var args = new List<string> { "verify", "-CAfile", bundle, "-attime", Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture) };
        args.AddRange(flags);
        if (untrusted is not null)
        {
            args.AddRange(["-untrusted", untrusted]);
        }

        args.Add(Write("leaf.pem", leaf.ToPem()));
        return await OpenSsl.RunAsync(args);
    }
}

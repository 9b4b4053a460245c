using Rotation.Cli.Tests.Support;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Testing;
using BcKeyUsage = Org.BouncyCastle.Asn1.X509.KeyUsage;

namespace Rotation.Cli.Tests;

/// <summary>
/// `rotation adopt --root FILE [--root-key FILE] --intermediate FILE --intermediate-key FILE [--chain FILE]`: the CA named
/// file by file. Every check is one line (exit 1) and leaves the home as it was; an issuer under a further intermediate
/// is refused with the reason and the alternative.
/// </summary>
public sealed class AdoptExplicitFilesTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli-adopt-files");
    private readonly CliRunner _cli;

    public AdoptExplicitFilesTests() => _cli = new CliRunner(_temp.File("home"));

    private DateTimeOffset Now => _cli.Time.GetUtcNow();

    public async Task InitializeAsync() => await _cli.SucceedAsync("init", "--domain", "other.example.internal");

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    private string Cert(string name, params Certificate[] certificates) => _temp.Write(name, Pem.WriteCertificates(certificates));

    private string Key(string name, PrivateKey key) => _temp.Write(name, key.ToPkcs8Pem());

    private string[] Flags(Certificate root, CertificateWithKey intermediate, PrivateKey? intermediateKey = null, PrivateKey? rootKey = null, string? chain = null)
    {
        var flags = new List<string>
        {
            "adopt", "--domain", Domain,
            "--root", Cert("root.pem", root),
            "--intermediate", Cert("int.pem", intermediate.Certificate),
            "--intermediate-key", Key("int.key", intermediateKey ?? intermediate.Key),
        };
        if (rootKey is not null)
            flags.AddRange(["--root-key", Key("root.key", rootKey)]);
        if (chain is not null)
            flags.AddRange(["--chain", chain]);
        return [.. flags];
    }

    [Fact]
    public async Task Openssl_made_files_named_one_by_one_are_adopted_with_and_without_the_root_key()
    {
        var made = await OpenSslCaFiles.MakeAsync(_temp.File("ca"));
        _cli.Time.SetUtcNow(DateTimeOffset.UtcNow); // openssl made the CAs valid from the moment it wrote them

        var adopt = await _cli.SucceedAsync("adopt", "--domain", Domain, "--root", made.RootCert, "--root-key", made.RootKey,
            "--intermediate", made.IntermediateCert, "--intermediate-key", made.IntermediateKey);

        Assert.Contains($"Adopted files {made.RootCert} and {made.IntermediateCert}", adopt.StdOut);
        var adopted = await Homes.InventoryAsync(_cli.Home, Domain);
        Assert.Equal(Certificate.FromPem(await File.ReadAllTextAsync(made.RootCert)), adopted.ActiveRoot.Certificate);
        Assert.Equal(Certificate.FromPem(await File.ReadAllTextAsync(made.IntermediateCert)), adopted.ActiveIntermediate.Certificate);
        Assert.DoesNotContain(adopt.ErrorLines, l => l.Contains("without its private key", StringComparison.Ordinal));
        Assert.False(Rotation.Core.Authorities.Adoption.AbsentKeys.IsAbsent(adopted.ActiveRoot.Key));
    }

    [Fact]
    public async Task Without_the_root_key_it_is_adopted_with_a_warning()
    {
        var root = TestPki.Root(Now, "CN=Keyless Root");
        var intermediate = TestPki.Intermediate(root, Now, "CN=Keyless Issuer");

        var adopt = await _cli.SucceedAsync(Flags(root.Certificate, intermediate));

        Assert.Contains(adopt.ErrorLines, l => l.StartsWith("warning: ", StringComparison.Ordinal) && l.Contains("without its private key", StringComparison.Ordinal));
        Assert.Equal(intermediate.Certificate, (await Homes.InventoryAsync(_cli.Home, Domain)).ActiveIntermediate.Certificate);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "mismatched-key", "the issuer key does not match the issuer certificate" },
        { "mismatched-root-key", "the root key does not match root" },
        { "not-a-ca", "is not a CA (basicConstraints CA:TRUE missing)" },
        { "no-keycertsign", "has keyUsage without keyCertSign" },
        { "other-root", "the chain does not verify" },
        { "expired", "expired at" },
        { "self-signed-issuer", "is self-signed, a root that signs workloads itself" },
        { "under-a-further-intermediate", "is signed by intermediate 'CN=Mid', not by a root" },
        { "held-by-another-domain", "is already held by trust domain 'other.example.internal'" },
        { "missing-file", "--intermediate-key file" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Each_check_refuses_in_one_line_and_changes_nothing(string defect, string expected)
    {
        var root = TestPki.Root(Now, "CN=Adopt Root");
        var intermediate = TestPki.Intermediate(root, Now, "CN=Adopt Issuer");
        var other = TestPki.Hierarchy(Now, name: "Other");
        var held = await Homes.ActiveIssuerAsync(_cli.Home, "other.example.internal", _cli.Environment[CliContext.PassphraseVariable]!);
        string[] args = defect switch
        {
            "mismatched-key" => Flags(root.Certificate, intermediate, intermediateKey: other.Intermediate.Key),
            "mismatched-root-key" => Flags(root.Certificate, intermediate, rootKey: other.Root.Key),
            "not-a-ca" => Flags(root.Certificate, TestPki.Custom("CN=Leafish").IssuedBy(root).Valid(Now.AddHours(-1), Now.AddDays(30)).BasicConstraints(false).KeyUsageBits(BcKeyUsage.DigitalSignature).Build()),
            "no-keycertsign" => Flags(root.Certificate, TestPki.Custom("CN=No Sign").IssuedBy(root).Valid(Now.AddHours(-1), Now.AddDays(30)).BasicConstraints(true, 0).KeyUsageBits(BcKeyUsage.DigitalSignature).Build()),
            "other-root" => Flags(root.Certificate, other.Intermediate),
            "expired" => Flags(root.Certificate, TestPki.Custom("CN=Old Issuer").IssuedBy(root).Valid(Now.AddDays(-40), Now.AddDays(-1)).BasicConstraints(true, 0).Build()),
            "self-signed-issuer" => Flags(root.Certificate, root),
            "under-a-further-intermediate" => UnderMid(root),
            "held-by-another-domain" => Flags(held.ChainToRoot[^1], held.Issuer),
            _ => ["adopt", "--domain", Domain, "--root", Cert("root.pem", root.Certificate), "--intermediate", Cert("int.pem", intermediate.Certificate), "--intermediate-key", _temp.File("nope.key")],
        };
        var before = HomeSnapshot.Take(_cli.Home);

        var result = await _cli.RunAsync(args);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(expected, Assert.Single(result.ErrorLines));
        before.AssertUnchanged(_cli.Home);
        Assert.Null(await Homes.Store(_cli.Home).FindDomainAsync(Domain));
    }

    /// <summary>root -> CN=Mid (pathLen 1) -> issuer, with the mid-tier given as the chain (Istio's cert-chain.pem).</summary>
    private string[] UnderMid(CertificateWithKey root)
    {
        var mid = TestPki.Intermediate(root, Now, "CN=Mid", pathLength: 1);
        var issuer = TestPki.Intermediate(mid, Now, "CN=Under Mid");
        return Flags(root.Certificate, issuer, chain: Cert("chain.pem", issuer.Certificate, mid.Certificate, root.Certificate));
    }

    [Fact]
    public async Task The_issuer_under_a_further_intermediate_is_told_the_alternative()
    {
        var root = TestPki.Root(Now, "CN=Adopt Root");

        var result = await _cli.RunAsync(UnderMid(root));

        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("issue a new issuing intermediate straight from the root 'CN=Adopt Root' and adopt that", line);
        Assert.Contains("rotation init", line);
    }

    [Theory]
    [InlineData("--root", "x.pem")]
    [InlineData("--intermediate", "x.pem")]
    public async Task Half_the_file_flags_or_files_with_from_dir_is_a_usage_error(string flag, string value)
    {
        var partial = await _cli.RunAsync("adopt", "--domain", Domain, flag, value);
        var mixed = await _cli.RunAsync("adopt", "--domain", Domain, "--from-dir", _temp.Path, "--root", "r.pem", "--intermediate", "i.pem", "--intermediate-key", "k.pem");
        var layout = await _cli.RunAsync("adopt", "--domain", Domain, "--layout", "istio", "--root", "r.pem", "--intermediate", "i.pem", "--intermediate-key", "k.pem");

        Assert.Equal(2, partial.ExitCode);
        Assert.Contains("needs --root FILE, --intermediate FILE and --intermediate-key FILE", partial.StdErr);
        Assert.Equal(2, mixed.ExitCode);
        Assert.Equal(2, layout.ExitCode);
    }
}

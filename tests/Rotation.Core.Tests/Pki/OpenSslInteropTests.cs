using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Core.Tests.Pki;

/// <summary>Our PKI against the real openssl binary: verification verdicts, extension rendering, key and CSR formats.</summary>
public sealed class OpenSslInteropTests : IDisposable
{
    private readonly TempDirectory _dir = new("rotation-openssl");

    public static TheoryData<string> Cases => new(ChainCases.OpensslComparableNames);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Openssl_verify_accepts_exactly_when_ChainVerifier_says_valid(string name)
    {
        var c = ChainCases.Get(name);
        var args = new List<string> { "verify", "-CAfile", _dir.Write("bundle.pem", c.Bundle.ToPem()) };
        if (c.Untrusted.Count > 0)
        {
            args.AddRange(["-untrusted", _dir.Write("chain.pem", Pem.WriteCertificates(c.Untrusted))]);
        }

        if (c.Purpose != TlsPurpose.Any)
        {
            args.AddRange(["-purpose", c.Purpose == TlsPurpose.Server ? "sslserver" : "sslclient"]);
        }

        if (c.Flags.HasFlag(ChainVerifyFlags.PartialChain))
        {
            args.Add("-partial_chain");
        }

        if (c.Flags.HasFlag(ChainVerifyFlags.X509Strict))
        {
            args.Add("-x509_strict");
        }

        args.AddRange(["-attime", c.At.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), _dir.Write("leaf.pem", c.Leaf.ToPem())]);

        var openssl = await OpenSsl.RunAsync(args);
        var ours = ChainVerifier.Verify(c.Leaf, c.Untrusted, c.Bundle, c.At, c.Purpose, c.Flags);

        Assert.Equal(c.Expected, ours.Status);
        Assert.True(openssl.Succeeded == ours.IsValid, $"{name}: openssl {(openssl.Succeeded ? "accepted" : "rejected")} ({openssl.StdOut.Trim()} {openssl.StdErr.Trim()}), ChainVerifier said {ours.Status}: {ours.Reason}");
    }

    [Fact]
    public async Task Openssl_x509_text_shows_the_profile_extensions()
    {
        var pki = TestPki.Hierarchy(ChainCases.Now);
        var leaf = pki.Leaf();

        var root = (await OpenSsl.RunCheckedAsync("x509", "-noout", "-text", "-in", _dir.Write("root.pem", pki.Root.Certificate.ToPem()))).StdOut;
        var intermediate = (await OpenSsl.RunCheckedAsync("x509", "-noout", "-text", "-in", _dir.Write("int.pem", pki.Intermediate.Certificate.ToPem()))).StdOut;
        var workload = (await OpenSsl.RunCheckedAsync("x509", "-noout", "-text", "-in", _dir.Write("leaf.pem", leaf.Certificate.ToPem()))).StdOut;

        Assert.Contains("X509v3 Basic Constraints: critical\n                CA:TRUE\n", root, StringComparison.Ordinal);
        Assert.Contains("X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign\n", root, StringComparison.Ordinal);
        Assert.Contains("CA:TRUE, pathlen:0", intermediate, StringComparison.Ordinal);
        Assert.Contains("ecdsa-with-SHA256", intermediate, StringComparison.Ordinal);
        Assert.Contains($"X509v3 Subject Key Identifier: \n                {Colons(pki.Root.Certificate.SubjectKeyId!)}", root, StringComparison.Ordinal);
        Assert.Contains($"X509v3 Authority Key Identifier: \n                {Colons(pki.Root.Certificate.SubjectKeyId!)}", intermediate, StringComparison.Ordinal);
        Assert.Contains("X509v3 Basic Constraints: critical\n                CA:FALSE\n", workload, StringComparison.Ordinal);
        Assert.Contains("X509v3 Key Usage: critical\n                Digital Signature\n", workload, StringComparison.Ordinal);
        Assert.Contains("TLS Web Server Authentication, TLS Web Client Authentication", workload, StringComparison.Ordinal);
        Assert.Contains($"URI:{TestPki.SpiffeId("web")}", workload, StringComparison.Ordinal);
        Assert.Contains("DNS:web.default.svc", workload, StringComparison.Ordinal);
        Assert.Contains($"Serial Number:\n            {Colons(leaf.Certificate.SerialNumber).ToLowerInvariant()}\n", workload, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256, "EC")]
    [InlineData(KeyAlgorithm.EcdsaP384, "EC")]
    [InlineData(KeyAlgorithm.Rsa2048, "RSA")]
    public async Task Openssl_reads_our_encrypted_and_plain_keys(KeyAlgorithm algorithm, string type)
    {
        var key = TestKeys.Get(algorithm);
        var encrypted = _dir.Write("enc.pem", key.ToEncryptedPkcs8Pem("correct horse"));
        var plain = _dir.Write("plain.pem", key.ToPkcs8Pem());

        var decrypted = await OpenSsl.RunAsync("pkey", "-in", encrypted, "-passin", "pass:correct horse");
        var wrong = await OpenSsl.RunAsync("pkey", "-in", encrypted, "-passin", "pass:wrong");
        var parameters = await OpenSsl.RunCheckedAsync("asn1parse", "-in", encrypted);
        var text = await OpenSsl.RunCheckedAsync("pkey", "-in", plain, "-noout", "-text");

        Assert.True(decrypted.Succeeded, decrypted.ToString());
        Assert.Equal(key.ToPkcs8Pem(), decrypted.StdOut);
        Assert.False(wrong.Succeeded);
        Assert.Contains("PBES2", parameters.StdOut, StringComparison.Ordinal);
        Assert.Contains("PBKDF2", parameters.StdOut, StringComparison.Ordinal);
        Assert.Contains("hmacWithSHA256", parameters.StdOut, StringComparison.Ordinal);
        Assert.Contains("aes-256-cbc", parameters.StdOut, StringComparison.Ordinal);
        Assert.Contains(type == "EC" ? "Private-Key: (" : "Private-Key: (2048 bit", text.StdOut, StringComparison.Ordinal);
    }

    public static TheoryData<string, string[], string?> OpensslKeys => new()
    {
        { "pkcs8 ec", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], null },
        { "pkcs8 ec encrypted", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-aes256", "-pass", "pass:pw"], "pw" },
        { "pkcs8 rsa encrypted", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes-256-cbc", "-pass", "pass:pw"], "pw" },
        { "sec1 ec", ["ecparam", "-genkey", "-name", "prime256v1", "-noout"], null },
        { "pkcs1 rsa", ["genrsa", "-traditional", "2048"], null },
    };

    [Theory]
    [MemberData(nameof(OpensslKeys))]
    public async Task We_read_openssl_generated_keys(string name, string[] generate, string? passphrase)
    {
        var pem = (await OpenSsl.RunCheckedAsync(generate)).StdOut;
        var spki = (await OpenSsl.RunCheckedAsync(["pkey", "-pubout", "-outform", "DER", "-in", _dir.Write("k.pem", pem), .. passphrase is null ? Array.Empty<string>() : ["-passin", $"pass:{passphrase}"]])).StdOut;

        var key = PrivateKey.FromPem(pem, passphrase);
        var root = CertificateFactory.CreateRoot(new RootCaRequest("CN=probe", ChainCases.Now, ChainCases.Now.AddDays(1)), key);
        var ourPublic = await OpenSsl.RunCheckedAsync("x509", "-noout", "-pubkey", "-in", _dir.Write("c.pem", root.ToPem()));
        var theirPublic = await OpenSsl.RunCheckedAsync(["pkey", "-pubout", "-in", _dir.File("k.pem"), .. passphrase is null ? Array.Empty<string>() : ["-passin", $"pass:{passphrase}"]]);

        Assert.NotEmpty(spki);
        Assert.Equal(theirPublic.StdOut, ourPublic.StdOut);
        Assert.True(key.Matches(root), name);
        if (passphrase is not null)
        {
            Assert.Throws<PkiException>(() => PrivateKey.FromPem(pem, "not-" + passphrase));
        }
    }

    [Fact]
    public async Task We_read_an_openssl_self_signed_ca_and_issue_under_it()
    {
        var key = _dir.File("ca.key");
        var cert = _dir.File("ca.pem");
        await OpenSsl.RunCheckedAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
            "-subj", "/O=mesh.example.internal/CN=Legacy Root", "-days", "30");

        var ca = CertificateWithKey.Create(Certificate.FromPem(File.ReadAllText(cert)), PrivateKey.FromPem(File.ReadAllText(key)));
        var now = DateTimeOffset.UtcNow;
        var leaf = TestPki.Leaf(ca, now);

        Assert.Equal("O=mesh.example.internal,CN=Legacy Root", ca.Certificate.Subject);
        Assert.True(ca.Certificate.IsCa);
        Assert.True(ca.Certificate.IsSelfSigned);
        Assert.Equal(KeyAlgorithm.EcdsaP256, ca.Certificate.KeyAlgorithm);
        Assert.True(ChainVerifier.Verify(leaf.Certificate, [], TrustBundle.Of(ca.Certificate), now).IsValid);
        var verify = await OpenSsl.RunAsync("verify", "-CAfile", cert, _dir.Write("leaf.pem", leaf.Certificate.ToPem()));
        Assert.True(verify.Succeeded, verify.ToString());
    }

    [Fact]
    public async Task Csr_interop_both_ways()
    {
        var pki = TestPki.Hierarchy(ChainCases.Now);
        var ours = CertificateSigningRequest.Create("CN=api", PrivateKey.Generate(KeyAlgorithm.EcdsaP256), ["api.default.svc"], [TestPki.SpiffeId("api")]);
        var check = await OpenSsl.RunAsync("req", "-verify", "-noout", "-text", "-in", _dir.Write("ours.csr", ours.ToPem()));

        var keyFile = _dir.Write("their.key", PrivateKey.Generate(KeyAlgorithm.EcdsaP384).ToPkcs8Pem());
        var theirs = await OpenSsl.RunCheckedAsync("req", "-new", "-key", keyFile, "-subj", "/CN=vault-issued", "-addext", "subjectAltName=DNS:vault.default.svc,URI:spiffe://mesh.example.internal/ns/vault/sa/vault");
        var csr = CertificateSigningRequest.FromPem(theirs.StdOut);
        var signed = CertificateFactory.SignCsr(csr, pki.Intermediate, ChainCases.Now, ChainCases.Now.AddHours(1), isCa: false);

        Assert.True(check.Succeeded, check.ToString());
        Assert.Contains("URI:spiffe://mesh.example.internal/ns/default/sa/api", check.StdOut, StringComparison.Ordinal);
        Assert.True(csr.IsSignatureValid);
        Assert.Equal(["vault.default.svc"], signed.DnsNames);
        Assert.Equal(["spiffe://mesh.example.internal/ns/vault/sa/vault"], signed.UriNames);
        Assert.Equal(KeyAlgorithm.EcdsaP384, signed.KeyAlgorithm);
    }

    [Fact]
    public async Task Foreign_key_types_are_readable_as_certificates_but_refused_as_keys()
    {
        var key = _dir.File("p521.key");
        var cert = _dir.File("p521.pem");
        await OpenSsl.RunCheckedAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=Foreign Root", "-days", "30");

        var certificate = Certificate.FromPem(File.ReadAllText(cert));
        var ex = Assert.Throws<PkiException>(() => PrivateKey.FromPem(File.ReadAllText(key)));

        Assert.True(certificate.IsSelfSigned);
        Assert.True(TrustBundle.Of(certificate).Contains(certificate));
        Assert.Contains("unsupported", Assert.Throws<PkiException>(() => certificate.KeyAlgorithm).Message, StringComparison.Ordinal);
        Assert.Contains("unsupported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_1_certificate_without_extensions_is_readable_and_not_a_ca()
    {
        var key = _dir.File("v1.key");
        await OpenSsl.RunCheckedAsync("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-subj", "/CN=v1", "-out", _dir.File("v1.csr"));
        await OpenSsl.RunCheckedAsync("x509", "-req", "-in", _dir.File("v1.csr"), "-signkey", key, "-days", "1", "-out", _dir.File("v1.pem"));

        var v1 = Certificate.FromPem(_dir.Read("v1.pem"));

        Assert.False(v1.IsCa);
        Assert.Null(v1.PathLength);
        Assert.Null(v1.SubjectKeyId);
        Assert.Null(v1.AuthorityKeyId);
        Assert.Empty(v1.DnsNames);
        Assert.False(v1.HasExtendedKeyUsage);
        Assert.True(v1.IsSelfSigned);
        Assert.True(PrivateKey.FromPem(_dir.Read("v1.key")).Matches(v1));
    }

    public void Dispose() => _dir.Dispose();

    private static string Colons(string hex) => string.Join(':', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2).ToUpperInvariant()));
}

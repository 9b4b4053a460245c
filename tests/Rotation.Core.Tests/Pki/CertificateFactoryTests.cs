using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Core.Tests.Pki;

/// <summary>Checks minted certificates with the BCL's own X.509 parser, independent of the BouncyCastle code that built them.</summary>
public sealed class CertificateFactoryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<KeyAlgorithm, string> AlgorithmsAndSignatures => new()
    {
        { KeyAlgorithm.EcdsaP256, "1.2.840.10045.4.3.2" }, // ecdsa-with-SHA256
        { KeyAlgorithm.EcdsaP384, "1.2.840.10045.4.3.3" }, // ecdsa-with-SHA384
        { KeyAlgorithm.Rsa2048, "1.2.840.113549.1.1.11" }, // sha256WithRSAEncryption
        { KeyAlgorithm.Rsa3072, "1.2.840.113549.1.1.11" },
        { KeyAlgorithm.Rsa4096, "1.2.840.113549.1.1.11" },
    };

    [Theory]
    [MemberData(nameof(AlgorithmsAndSignatures))]
    public void Hierarchy_has_the_profile_extensions_for_every_algorithm(KeyAlgorithm algorithm, string signatureOid)
    {
        var pki = TestPki.Hierarchy(Now, algorithm);
        var leaf = pki.Leaf(algorithm: algorithm);

        using var root = pki.Root.Certificate.ToX509Certificate2();
        using var intermediate = pki.Intermediate.Certificate.ToX509Certificate2();
        using var workload = leaf.Certificate.ToX509Certificate2();

        Assert.All(new[] { root, intermediate, workload }, c => Assert.Equal(signatureOid, c.SignatureAlgorithm.Value));

        AssertCa(root, expectedPathLength: null);
        AssertCa(intermediate, expectedPathLength: 0);
        Assert.Equal(Ski(root), Aki(root));
        Assert.Equal(Ski(root), Aki(intermediate));
        Assert.Equal(Ski(intermediate), Aki(workload));

        var basic = Extension<X509BasicConstraintsExtension>(workload);
        Assert.True(basic.Critical);
        Assert.False(basic.CertificateAuthority);
        var usage = Extension<X509KeyUsageExtension>(workload);
        Assert.True(usage.Critical);
        var expectedUsage = algorithm is KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384
            ? X509KeyUsageFlags.DigitalSignature
            : X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment;
        Assert.Equal(expectedUsage, usage.KeyUsages);
        var eku = Extension<X509EnhancedKeyUsageExtension>(workload);
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).Order());
        Assert.Equal(["localhost", "web.default.svc", "web.default.svc.cluster.local"], Extension<X509SubjectAlternativeNameExtension>(workload).EnumerateDnsNames().Order());

        Assert.Equal(algorithm, leaf.Certificate.KeyAlgorithm);
        Assert.True(leaf.Certificate.HasServerAuth);
        Assert.True(leaf.Certificate.HasClientAuth);
        Assert.Equal([TestPki.SpiffeId("web")], leaf.Certificate.UriNames);
        Assert.True(leaf.Certificate.IsSignedBy(pki.Intermediate.Certificate));
        Assert.True(pki.Root.Certificate.IsSelfSigned);
        Assert.False(pki.Intermediate.Certificate.IsSelfSigned);
    }

    [Fact]
    public void Parsed_fields_match_the_request()
    {
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var notBefore = Now.AddMilliseconds(750);
        var root = CertificateFactory.CreateRoot(new RootCaRequest("CN=Root A,O=mesh.example.internal", notBefore, notBefore.AddDays(3650), 1), key);

        Assert.Equal("CN=Root A,O=mesh.example.internal", root.Subject);
        Assert.Equal(root.Subject, root.Issuer);
        Assert.Equal(Now, root.NotBefore); // certificates carry whole seconds
        Assert.Equal(Now.AddDays(3650), root.NotAfter);
        Assert.Equal(1, root.PathLength);
        Assert.True(root.IsCa);
        Assert.True(root.HasKeyCertSign);
        Assert.Equal(root.SubjectKeyId, root.AuthorityKeyId);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(root.Der.Span)), root.Sha256);
        using var x509 = root.ToX509Certificate2();
        Assert.Equal(x509.SerialNumber.TrimStart('0').ToLowerInvariant(), root.SerialNumber);
    }

    [Fact]
    public void Subject_key_id_is_sha1_of_the_public_key_bits()
    {
        var root = TestPki.Root(Now).Certificate;
        using var x509 = root.ToX509Certificate2();

#pragma warning disable CA5350 // RFC 5280 method 1 is defined as SHA-1; this test recomputes it.
        var expected = Convert.ToHexStringLower(SHA1.HashData(x509.PublicKey.EncodedKeyValue.RawData));
#pragma warning restore CA5350

        Assert.Equal(expected, root.SubjectKeyId);
    }

    [Fact]
    public void Serials_are_positive_128_bit_and_distinct()
    {
        var issuer = TestPki.Hierarchy(Now).Intermediate;
        var serials = Enumerable.Range(0, 20).Select(_ => TestPki.Leaf(issuer, Now).Certificate.SerialNumber).ToList();

        Assert.Equal(serials.Count, serials.Distinct().Count());
        Assert.All(serials, serial =>
        {
            var value = BigInteger.Parse("0" + serial, System.Globalization.NumberStyles.HexNumber);
            Assert.True(value > 0);
            Assert.Equal(128, (int)value.GetBitLength());
        });
    }

    [Fact]
    public void Empty_leaf_subject_gets_a_critical_san()
    {
        var issuer = TestPki.Hierarchy(Now).Intermediate;
        var leaf = CertificateFactory.IssueLeaf(new LeafRequest("", Now, Now.AddHours(1), [], [TestPki.SpiffeId("api")]), PrivateKey.Generate(KeyAlgorithm.EcdsaP256), issuer);

        using var x509 = leaf.ToX509Certificate2();
        Assert.Equal(string.Empty, leaf.Subject);
        Assert.True(Extension<X509SubjectAlternativeNameExtension>(x509).Critical);
        Assert.Equal([TestPki.SpiffeId("api")], leaf.UriNames);
    }

    public static TheoryData<string, Func<TestHierarchy, CertificateWithKey>, string> BadIssuers => new()
    {
        { "leaf as issuer", pki => pki.Leaf(), "not a CA" },
        { "CA:TRUE missing", pki => TestPki.Custom("CN=NoBasic").BasicConstraints(null).Valid(Now.AddDays(-1), Now.AddDays(30)).Build(), "not a CA" },
        { "CA:FALSE", pki => TestPki.Custom("CN=NotCa").BasicConstraints(false).Valid(Now.AddDays(-1), Now.AddDays(30)).Build(), "not a CA" },
        { "no keyCertSign", pki => TestPki.Custom("CN=NoCertSign").KeyUsageBits(Org.BouncyCastle.Asn1.X509.KeyUsage.DigitalSignature | Org.BouncyCastle.Asn1.X509.KeyUsage.CrlSign).Valid(Now.AddDays(-1), Now.AddDays(30)).Build(), "keyCertSign" },
        { "key mismatch", pki => new CertificateWithKey(pki.Intermediate.Certificate, PrivateKey.Generate(KeyAlgorithm.EcdsaP256)), "does not match" },
        { "issuer expires first", pki => TestPki.Intermediate(pki.Root, Now, lifetime: TimeSpan.FromHours(2)), "outside issuer" },
    };

    [Theory]
    [MemberData(nameof(BadIssuers))]
    public void Bad_issuers_are_refused_for_every_kind_of_issuance(string name, Func<TestHierarchy, CertificateWithKey> issuerOf, string expected)
    {
        var pki = TestPki.Hierarchy(Now);
        var issuer = issuerOf(pki);
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var csr = CertificateSigningRequest.Create("CN=csr", key, ["csr.default.svc"]);

        Action[] issuances =
        [
            () => CertificateFactory.CreateIntermediate(new IntermediateCaRequest("CN=Sub", Now, Now.AddDays(1)), key, issuer),
            () => CertificateFactory.IssueLeaf(new LeafRequest("CN=leaf", Now, Now.AddDays(1), ["leaf"], []), key, issuer),
            () => CertificateFactory.SignCsr(csr, issuer, Now, Now.AddDays(1), isCa: false),
            () => CertificateFactory.SignCsr(csr, issuer, Now, Now.AddDays(1), isCa: true),
        ];

        Assert.All(issuances, issue =>
        {
            var ex = Assert.Throws<PkiException>(issue);
            Assert.True(ex.Message.Contains(expected, StringComparison.Ordinal), $"{name}: {ex.Message}");
            Assert.DoesNotContain('\n', ex.Message);
        });
    }

    [Theory]
    [InlineData(-2, 1)] // starts before the issuer
    [InlineData(0, 400)] // ends after the issuer
    public void Validity_outside_the_issuer_is_refused_not_clamped(int startDays, int endDays)
    {
        var pki = TestPki.Hierarchy(Now);
        var issuer = pki.Intermediate; // valid Now-1h .. Now-1h+365d
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);

        var ex = Assert.Throws<PkiException>(() =>
            CertificateFactory.IssueLeaf(new LeafRequest("CN=x", Now.AddDays(startDays), Now.AddDays(endDays), ["x"], []), key, issuer));

        Assert.Contains("outside issuer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validity_exactly_equal_to_the_issuers_is_accepted()
    {
        var issuer = TestPki.Hierarchy(Now).Intermediate;
        var ca = issuer.Certificate;

        var leaf = CertificateFactory.IssueLeaf(new LeafRequest("CN=x", ca.NotBefore, ca.NotAfter, ["x"], []), PrivateKey.Generate(KeyAlgorithm.EcdsaP256), issuer);

        Assert.Equal(ca.NotBefore, leaf.NotBefore);
        Assert.Equal(ca.NotAfter, leaf.NotAfter);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("no equals sign", "not a distinguished name")]
    public void Bad_root_subjects_are_refused(string subject, string expected)
    {
        var ex = Assert.Throws<PkiException>(() => CertificateFactory.CreateRoot(new RootCaRequest(subject, Now, Now.AddDays(1)), PrivateKey.Generate(KeyAlgorithm.EcdsaP256)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inverted_validity_and_bad_sans_are_refused()
    {
        var issuer = TestPki.Hierarchy(Now).Intermediate;
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);

        Assert.Throws<PkiException>(() => CertificateFactory.CreateRoot(new RootCaRequest("CN=r", Now, Now), key));
        Assert.Throws<PkiException>(() => CertificateFactory.IssueLeaf(new LeafRequest("CN=x", Now, Now.AddHours(1), ["bad name"], []), key, issuer));
        Assert.Throws<PkiException>(() => CertificateFactory.IssueLeaf(new LeafRequest("CN=x", Now, Now.AddHours(1), [], ["not a uri"]), key, issuer));
        Assert.Throws<PkiException>(() => CertificateFactory.CreateIntermediate(new IntermediateCaRequest("CN=i", Now, Now.AddHours(1), -1), key, issuer));
    }

    private static void AssertCa(X509Certificate2 certificate, int? expectedPathLength)
    {
        var basic = Extension<X509BasicConstraintsExtension>(certificate);
        Assert.True(basic.Critical);
        Assert.True(basic.CertificateAuthority);
        Assert.Equal(expectedPathLength is not null, basic.HasPathLengthConstraint);
        if (expectedPathLength is { } pathLength)
        {
            Assert.Equal(pathLength, basic.PathLengthConstraint);
        }

        var usage = Extension<X509KeyUsageExtension>(certificate);
        Assert.True(usage.Critical);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        Assert.Null(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault());
    }

    private static string Ski(X509Certificate2 certificate) => Extension<X509SubjectKeyIdentifierExtension>(certificate).SubjectKeyIdentifier!.ToLowerInvariant();

    private static string Aki(X509Certificate2 certificate) => Convert.ToHexStringLower(Extension<X509AuthorityKeyIdentifierExtension>(certificate).KeyIdentifier!.Value.Span);

    private static T Extension<T>(X509Certificate2 certificate)
        where T : X509Extension => certificate.Extensions.OfType<T>().Single();
}

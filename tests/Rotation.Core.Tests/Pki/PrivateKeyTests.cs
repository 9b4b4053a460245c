using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Core.Tests.Pki;

public sealed class PrivateKeyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<KeyAlgorithm> Algorithms => new(Enum.GetValues<KeyAlgorithm>());

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Generated_key_round_trips_through_plain_and_encrypted_pkcs8(KeyAlgorithm algorithm)
    {
        var key = TestKeys.Get(algorithm); // PrivateKey.Generate, shared with other tests of this process
        var root = CertificateFactory.CreateRoot(new RootCaRequest("CN=k", Now, Now.AddDays(1)), key);

        var plain = PrivateKey.FromPem(key.ToPkcs8Pem());
        var encrypted = PrivateKey.FromPem(key.ToEncryptedPkcs8Pem("s3cret pass"), "s3cret pass");

        Assert.Equal(algorithm, key.Algorithm);
        Assert.Equal(algorithm, plain.Algorithm);
        Assert.Equal(algorithm, encrypted.Algorithm);
        Assert.Equal(algorithm, root.KeyAlgorithm);
        Assert.True(plain.Matches(root));
        Assert.True(encrypted.Matches(root));
        Assert.Equal(key.ExportPkcs8Der(), plain.ExportPkcs8Der());
        Assert.StartsWith(PemLabels.Begin(PemLabels.EncryptedPkcs8) + "\n", key.ToEncryptedPkcs8Pem("x"), StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_passphrase_is_refused_with_a_clear_message()
    {
        var pem = PrivateKey.Generate(KeyAlgorithm.EcdsaP256).ToEncryptedPkcs8Pem("right");

        var ex = Assert.Throws<PkiException>(() => PrivateKey.FromPem(pem, "wrong"));

        Assert.StartsWith("cannot decrypt private key: wrong passphrase", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Encrypted_key_without_passphrase_asks_for_one()
    {
        var pem = PrivateKey.Generate(KeyAlgorithm.EcdsaP256).ToEncryptedPkcs8Pem("right");

        var ex = Assert.Throws<PkiException>(() => PrivateKey.FromPem(pem));

        Assert.Contains("passphrase", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "", true)]
    [InlineData(null, "just some text", true)]
    [InlineData(PemLabels.Pkcs8, "not*base64!", true)]
    [InlineData(PemLabels.Pkcs8, "AAAA", true)]
    // The start of a real P-256 PKCS#8 key (algorithm identifiers only) with no END line.
    [InlineData(PemLabels.Pkcs8, "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg", false)]
    [InlineData(PemLabels.Sec1, "AAAA", true)]
    [InlineData(PemLabels.Pkcs1, "AAAA", true)]
    [InlineData("DSA PRIVATE KEY", "AAAA", true)]
    public void Malformed_pem_is_a_one_line_pki_exception(string? label, string body, bool terminated)
    {
        var pem = label is null ? body
            : $"{PemLabels.Begin(label)}\n{body}\n" + (terminated ? $"{PemLabels.End(label)}\n" : string.Empty);

        var ex = Assert.Throws<PkiException>(() => PrivateKey.FromPem(pem));

        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Matches_is_false_for_another_keys_certificate()
    {
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var other = CertificateFactory.CreateRoot(new RootCaRequest("CN=other", Now, Now.AddDays(1)), PrivateKey.Generate(KeyAlgorithm.EcdsaP256));

        Assert.False(key.Matches(other));
        var ex = Assert.Throws<PkiException>(() => CertificateWithKey.Create(other, key));
        Assert.Contains("does not match", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Matches_is_false_across_algorithms()
    {
        var rsa = PrivateKey.Generate(KeyAlgorithm.Rsa2048);
        var ec = CertificateFactory.CreateRoot(new RootCaRequest("CN=ec", Now, Now.AddDays(1)), PrivateKey.Generate(KeyAlgorithm.EcdsaP256));

        Assert.False(rsa.Matches(ec));
    }

    [Fact]
    public void ToString_never_contains_key_material()
    {
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var base64 = Convert.ToBase64String(key.ExportPkcs8Der());

        Assert.Equal("PrivateKey(ecdsa-p256, redacted)", key.ToString());
        Assert.DoesNotContain(base64[..20], key.ToString(), StringComparison.Ordinal);
    }
}

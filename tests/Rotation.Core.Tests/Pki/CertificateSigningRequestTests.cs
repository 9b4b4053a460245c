using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Core.Tests.Pki;

public sealed class CertificateSigningRequestTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256)]
    [InlineData(KeyAlgorithm.EcdsaP384)]
    [InlineData(KeyAlgorithm.Rsa2048)]
    public void Created_csr_round_trips_and_signs_as_a_leaf(KeyAlgorithm algorithm)
    {
        var pki = TestPki.Hierarchy(Now);
        var key = PrivateKey.Generate(algorithm);

        var csr = CertificateSigningRequest.FromPem(CertificateSigningRequest.Create("CN=api,O=mesh", key, ["api.default.svc"], [TestPki.SpiffeId("api")]).ToPem());
        var leaf = CertificateFactory.SignCsr(csr, pki.Intermediate, Now, Now.AddHours(24), isCa: false);

        Assert.True(csr.IsSignatureValid);
        Assert.Equal("CN=api,O=mesh", csr.SubjectDn);
        Assert.Equal(["api.default.svc"], csr.DnsNames);
        Assert.Equal([TestPki.SpiffeId("api")], csr.UriNames);
        Assert.True(key.Matches(leaf));
        Assert.Equal("CN=api,O=mesh", leaf.Subject);
        Assert.Equal(["api.default.svc"], leaf.DnsNames);
        Assert.Equal([TestPki.SpiffeId("api")], leaf.UriNames);
        Assert.False(leaf.IsCa);
        Assert.True(leaf.HasClientAuth && leaf.HasServerAuth);
        Assert.Equal(pki.Intermediate.Certificate.SubjectKeyId, leaf.AuthorityKeyId);
        Assert.True(ChainVerifier.Verify(leaf, [pki.Intermediate.Certificate], pki.Bundle, Now).IsValid);
    }

    [Fact]
    public void Csr_signed_as_ca_is_an_intermediate_with_path_length()
    {
        var pki = TestPki.Hierarchy(Now);
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP384);
        var csr = CertificateSigningRequest.Create("CN=Vault Intermediate", key);

        var ca = CertificateFactory.SignCsr(csr, pki.Root, Now, Now.AddDays(30), isCa: true, pathLength: 0);

        Assert.True(ca.IsCa);
        Assert.Equal(0, ca.PathLength);
        Assert.True(ca.HasKeyCertSign);
        Assert.Empty(ca.DnsNames);
        Assert.True(ca.IsSignedBy(pki.Root.Certificate));
        Assert.Equal(KeyAlgorithm.EcdsaP384, ca.KeyAlgorithm);
    }

    [Fact]
    public void Tampered_csr_fails_its_self_signature_and_is_refused()
    {
        var pki = TestPki.Hierarchy(Now);
        var der = CertificateSigningRequest.Create("CN=api", PrivateKey.Generate(KeyAlgorithm.EcdsaP256), ["api.default.svc"]).Der.ToArray();
        var at = Array.IndexOf(der, (byte)'a', 10); // inside the subject CN "api"
        der[at] = (byte)'b';
        var tampered = CertificateSigningRequest.FromPem(Convert.ToBase64String(der));

        Assert.Equal("CN=bpi", tampered.SubjectDn);
        Assert.False(tampered.IsSignatureValid);
        var ex = Assert.Throws<PkiException>(() => CertificateFactory.SignCsr(tampered, pki.Intermediate, Now, Now.AddHours(1), isCa: false));
        Assert.Contains("invalid self-signature", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----\n")]
    [InlineData("-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQE=\n-----END CERTIFICATE REQUEST-----\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n")]
    [InlineData("bm90IGEgY3Ny")]
    public void Malformed_csr_is_a_pki_exception(string text)
    {
        var ex = Assert.Throws<PkiException>(() => CertificateSigningRequest.FromPem(text));

        Assert.DoesNotContain('\n', ex.Message);
    }
}

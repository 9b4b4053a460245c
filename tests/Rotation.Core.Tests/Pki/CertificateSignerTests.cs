using Rotation.Core.Pki;

namespace Rotation.Core.Tests.Pki;

/// <summary>Certificates signed through an <see cref="ICertificateSigner"/> (the custody path) instead of a private key.</summary>
public sealed class CertificateSignerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private sealed class CountingSigner(PrivateKey key, Func<byte[], byte[]>? tamper = null) : ICertificateSigner
    {
        public PublicKey PublicKey { get; } = PublicKey.Of(key);
        public List<byte[]> Signed { get; } = [];

        public async Task<byte[]> SignAsync(ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default)
        {
            Signed.Add(toBeSigned.ToArray());
            var signature = await new PrivateKeySigner(key).SignAsync(toBeSigned, cancellationToken);
            return tamper is null ? signature : tamper(signature);
        }
    }

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256)]
    [InlineData(KeyAlgorithm.EcdsaP384)]
    [InlineData(KeyAlgorithm.Rsa2048)]
    public async Task A_root_signed_through_a_signer_is_the_same_kind_of_certificate_as_one_signed_with_the_key(KeyAlgorithm algorithm)
    {
        var key = PrivateKey.Generate(algorithm);
        var request = new RootCaRequest("CN=Root,O=example", Now, Now.AddYears(1), 1);
        var signer = new CountingSigner(key);

        var viaSigner = await CertificateFactory.CreateRootAsync(request, signer);
        var viaKey = CertificateFactory.CreateRoot(request, key);

        Assert.Single(signer.Signed);
        Assert.True(viaSigner.IsSelfSigned);
        Assert.Equal(viaKey.Subject, viaSigner.Subject);
        Assert.Equal(viaKey.IsCa, viaSigner.IsCa);
        Assert.Equal(viaKey.PathLength, viaSigner.PathLength);
        Assert.Equal(viaKey.SubjectKeyId, viaSigner.SubjectKeyId);
        Assert.Equal(viaKey.Bc.SigAlgOid, viaSigner.Bc.SigAlgOid);
        Assert.Equal(viaKey.Bc.GetSigAlgParams(), viaSigner.Bc.GetSigAlgParams());
        // What the signer was handed is exactly the certificate's to-be-signed part.
        Assert.Equal(viaSigner.Bc.GetTbsCertificate(), signer.Signed[0]);
    }

    [Fact]
    public async Task An_intermediate_and_leaf_chain_through_signers_verifies()
    {
        var rootKey = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var intermediateKey = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var leafKey = PrivateKey.Generate(KeyAlgorithm.Rsa2048);
        var root = await CertificateFactory.CreateRootAsync(new RootCaRequest("CN=Root", Now, Now.AddYears(2)), new PrivateKeySigner(rootKey));

        var intermediate = await CertificateFactory.CreateIntermediateAsync(new IntermediateCaRequest("CN=Int", Now, Now.AddYears(1)), PublicKey.Of(intermediateKey), root, new PrivateKeySigner(rootKey));
        var leaf = await CertificateFactory.IssueLeafAsync(new LeafRequest("", Now, Now.AddDays(1), ["a.example"], []), PublicKey.Of(leafKey), intermediate, new PrivateKeySigner(intermediateKey));

        Assert.True(intermediate.IsSignedBy(root));
        Assert.True(leaf.IsSignedBy(intermediate));
        Assert.Equal(intermediate.SubjectKeyId, leaf.AuthorityKeyId);
        Assert.Equal(["a.example"], leaf.DnsNames);
    }

    [Fact]
    public async Task A_signer_whose_key_is_not_the_issuers_is_refused_before_anything_is_signed()
    {
        var rootKey = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var root = CertificateFactory.CreateRoot(new RootCaRequest("CN=Root", Now, Now.AddYears(2)), rootKey);
        var other = new CountingSigner(PrivateKey.Generate(KeyAlgorithm.EcdsaP256));

        await Assert.ThrowsAsync<PkiException>(() => CertificateFactory.CreateIntermediateAsync(
            new IntermediateCaRequest("CN=Int", Now, Now.AddYears(1)), PublicKey.Of(PrivateKey.Generate(KeyAlgorithm.EcdsaP256)), root, other));

        Assert.Empty(other.Signed);
    }

    [Fact]
    public async Task A_signature_that_does_not_verify_is_refused()
    {
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var corrupt = new CountingSigner(key, signature => { signature[^1] ^= 0x01; return signature; });

        var error = await Assert.ThrowsAsync<PkiException>(() => CertificateFactory.CreateRootAsync(new RootCaRequest("CN=Root", Now, Now.AddYears(1)), corrupt));

        Assert.Contains("does not verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_public_key_round_trips_through_subject_public_key_info()
    {
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP384);
        var publicKey = PublicKey.Of(key);

        var parsed = PublicKey.FromSubjectPublicKeyInfo(publicKey.SubjectPublicKeyInfo.Span);

        Assert.Equal(publicKey, parsed);
        Assert.Equal(KeyAlgorithm.EcdsaP384, parsed.Algorithm);
        Assert.DoesNotContain("PRIVATE", parsed.ToString(), StringComparison.Ordinal);
        Assert.Throws<PkiException>(() => PublicKey.FromSubjectPublicKeyInfo(new byte[] { 1, 2, 3 }));
    }
}

using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;

namespace Rotation.Core.Pki;

/// <summary>Assembles one X.509 v3 certificate with BouncyCastle. One instance per certificate.</summary>
internal sealed class CertificateBuilder
{
    private readonly X509V3CertificateGenerator _generator = new();

    public CertificateBuilder(X509Name issuer, X509Name subject, DateTimeOffset notBefore, DateTimeOffset notAfter, AsymmetricKeyParameter publicKey)
    {
        _generator.SetSerialNumber(NewSerial());
        _generator.SetIssuerDN(issuer);
        _generator.SetSubjectDN(subject);
        _generator.SetNotBefore(notBefore.UtcDateTime);
        _generator.SetNotAfter(notAfter.UtcDateTime);
        _generator.SetPublicKey(publicKey);
    }

    public CertificateBuilder CertificateAuthority(int? pathLength)
    {
        _generator.AddExtension(X509Extensions.BasicConstraints, true, pathLength is { } length ? new BasicConstraints(length) : new BasicConstraints(true));
        _generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign));
        return this;
    }

    public CertificateBuilder Leaf(bool rsa)
    {
        _generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        // RSA key exchange (TLS 1.2 static RSA) encrypts to the key; ECDSA only ever signs.
        _generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(rsa ? KeyUsage.DigitalSignature | KeyUsage.KeyEncipherment : KeyUsage.DigitalSignature));
        _generator.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth, KeyPurposeID.id_kp_clientAuth));
        return this;
    }

    public CertificateBuilder SubjectAlternativeNames(IReadOnlyList<string>? dnsNames, IReadOnlyList<string>? uriNames, bool critical)
    {
        var names = new List<GeneralName>();
        foreach (var dns in dnsNames ?? [])
        {
            names.Add(new GeneralName(GeneralName.DnsName, SanValidation.Dns(dns)));
        }

        foreach (var uri in uriNames ?? [])
        {
            names.Add(new GeneralName(GeneralName.UniformResourceIdentifier, SanValidation.Uri(uri)));
        }

        if (names.Count > 0)
        {
            _generator.AddExtension(X509Extensions.SubjectAlternativeName, critical, new GeneralNames(names.ToArray()));
        }
        else if (critical)
        {
            throw new PkiException("a certificate with an empty subject needs at least one DNS or URI SAN: give a subject or a SAN");
        }

        return this;
    }

    public CertificateBuilder KeyIdentifiers(byte[] subjectKeyId, byte[] authorityKeyId)
    {
        _generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, new SubjectKeyIdentifier(subjectKeyId));
        _generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, new AuthorityKeyIdentifier(authorityKeyId));
        return this;
    }

    public Certificate SignWith(PrivateKey issuerKey)
    {
        var signer = new Asn1SignatureFactory(KeyAlgorithms.SignatureAlgorithm(issuerKey.Algorithm), issuerKey.BcPrivateKey);
        return Certificate.FromDer(_generator.Generate(signer).GetEncoded());
    }

    /// <summary>
    /// Signs through a signer that may hold its key elsewhere: BouncyCastle assembles the to-be-signed structure with
    /// a <see cref="CustodySignatureFactory"/>, the signer signs those bytes, and the certificate is the structure plus
    /// that signature (checked against the signer's public key before it is returned).
    /// </summary>
    public async Task<Certificate> SignWithAsync(ICertificateSigner signer, CancellationToken cancellationToken)
    {
        var factory = new CustodySignatureFactory(signer);
        var draft = _generator.Generate(factory);
        var signature = await factory.SignCapturedAsync(cancellationToken);
        var structure = new X509CertificateStructure(draft.CertificateStructure.TbsCertificate, factory.Algorithm, new DerBitString(signature));
        var certificate = Certificate.FromDer(structure.GetDerEncoded());
        return VerifiesWith(certificate, signer.PublicKey)
            ? certificate
            : throw new PkiException($"the signature the key custody returned for '{certificate.Subject}' does not verify with its public key: the custody signed with another key or corrupted the signature");
    }

    private static bool VerifiesWith(Certificate certificate, PublicKey key)
    {
        try
        {
            return certificate.Bc.IsSignatureValid(key.BcPublicKey);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>128 random bits with the top bit set: always exactly 128 bits, always positive.</summary>
    private static BigInteger NewSerial()
    {
        var bytes = new byte[16];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        bytes[0] |= 0x80;
        return new BigInteger(1, bytes);
    }
}

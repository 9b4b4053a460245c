using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;
using Rotation.Core.Pki;

namespace Rotation.Testing;

/// <summary>
/// Builds certificates the product would never mint (no CA:TRUE, no keyCertSign, no clientAuth, no SKI/AKI...)
/// directly with BouncyCastle, so verifiers can be tested against them. Defaults give a plain valid CA.
/// </summary>
public sealed class TestCertificateBuilder
{
    private readonly string _subject;
    // Wall-clock defaults suit TLS handshakes, which check against the real clock; time-driven tests call Valid().
    private DateTimeOffset _notBefore = DateTimeOffset.UtcNow.AddDays(-1);
    private DateTimeOffset _notAfter = DateTimeOffset.UtcNow.AddDays(30);
    private bool? _isCa = true;
    private int? _pathLength;
    private int? _keyUsage = KeyUsage.KeyCertSign | KeyUsage.CrlSign;
    private KeyPurposeID[]? _extendedKeyUsages;
    private string[] _dnsNames = [];
    private bool _keyIdentifiers = true;
    private bool _basicConstraintsCritical = true;
    private bool _authorityKeyId = true;
    private CertificateWithKey? _issuer;
    private PrivateKey? _key;

    internal TestCertificateBuilder(string subject) => _subject = subject;

    public TestCertificateBuilder Valid(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        _notBefore = notBefore;
        _notAfter = notAfter;
        return this;
    }

    /// <summary>basicConstraints: true = CA:TRUE, false = CA:FALSE, null = extension omitted.</summary>
    public TestCertificateBuilder BasicConstraints(bool? isCa, int? pathLength = null)
    {
        _isCa = isCa;
        _pathLength = pathLength;
        return this;
    }

    /// <summary>keyUsage bits (BouncyCastle <see cref="KeyUsage"/> constants); null omits the extension.</summary>
    public TestCertificateBuilder KeyUsageBits(int? bits)
    {
        _keyUsage = bits;
        return this;
    }

    /// <summary>A leaf profile: CA:FALSE, digitalSignature, the given EKUs (none = extension omitted).</summary>
    public TestCertificateBuilder AsLeaf(params KeyPurposeID[] extendedKeyUsages)
    {
        _isCa = false;
        _keyUsage = KeyUsage.DigitalSignature;
        _extendedKeyUsages = extendedKeyUsages.Length == 0 ? null : extendedKeyUsages;
        _dnsNames = ["localhost"];
        return this;
    }

    /// <summary>Marks basicConstraints non-critical, as Istio's legacy sample CAs do.</summary>
    public TestCertificateBuilder BasicConstraintsNotCritical()
    {
        _basicConstraintsCritical = false;
        return this;
    }

    /// <summary>Keeps the subjectKeyIdentifier but omits the authorityKeyIdentifier.</summary>
    public TestCertificateBuilder WithoutAuthorityKeyId()
    {
        _authorityKeyId = false;
        return this;
    }

    public TestCertificateBuilder WithoutKeyIdentifiers()
    {
        _keyIdentifiers = false;
        return this;
    }

    public TestCertificateBuilder IssuedBy(CertificateWithKey issuer)
    {
        _issuer = issuer;
        return this;
    }

    public TestCertificateBuilder WithKey(PrivateKey key)
    {
        _key = key;
        return this;
    }

    public CertificateWithKey Build()
    {
        var key = _key ?? PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var privateKey = PrivateKeyFactory.CreateKey(key.ExportPkcs8Der());
        var publicKey = PublicKeyOf(key);
        var subject = new X509Name(_subject);

        var generator = new X509V3CertificateGenerator();
        var serial = new byte[16];
        System.Security.Cryptography.RandomNumberGenerator.Fill(serial);
        generator.SetSerialNumber(new BigInteger(1, serial));
        generator.SetSubjectDN(subject);
        generator.SetIssuerDN(_issuer is null ? subject : new X509CertificateParser().ReadCertificate(_issuer.Certificate.Der.ToArray()).SubjectDN);
        generator.SetNotBefore(_notBefore.UtcDateTime);
        generator.SetNotAfter(_notAfter.UtcDateTime);
        generator.SetPublicKey(publicKey);
        if (_isCa is { } isCa)
        {
            generator.AddExtension(X509Extensions.BasicConstraints, _basicConstraintsCritical,
                isCa && _pathLength is { } pathLength ? new BasicConstraints(pathLength) : new BasicConstraints(isCa));
        }

        if (_keyUsage is { } bits)
        {
            generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(bits));
        }

        if (_extendedKeyUsages is { } usages)
        {
            generator.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(usages));
        }

        if (_dnsNames.Length > 0)
        {
            generator.AddExtension(X509Extensions.SubjectAlternativeName, false,
                new GeneralNames(_dnsNames.Select(name => new GeneralName(GeneralName.DnsName, name)).ToArray()));
        }

        if (_keyIdentifiers)
        {
            var ski = X509ExtensionUtilities.CreateSubjectKeyIdentifier(publicKey);
            generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, ski);
            var issuerSki = _issuer is null ? ski.GetKeyIdentifier() : Convert.FromHexString(_issuer.Certificate.SubjectKeyId!);
            if (_authorityKeyId)
            {
                generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, new AuthorityKeyIdentifier(issuerSki));
            }
        }

        var signingKey = _issuer is null ? privateKey : PrivateKeyFactory.CreateKey(_issuer.Key.ExportPkcs8Der());
        var signingAlgorithm = (_issuer?.Key ?? key).Algorithm switch
        {
            KeyAlgorithm.EcdsaP256 => "SHA256WITHECDSA",
            KeyAlgorithm.EcdsaP384 => "SHA384WITHECDSA",
            _ => "SHA256WITHRSA",
        };
        var certificate = generator.Generate(new Asn1SignatureFactory(signingAlgorithm, signingKey));
        return new CertificateWithKey(Certificate.FromDer(certificate.GetEncoded()), key);
    }

    private static Org.BouncyCastle.Crypto.AsymmetricKeyParameter PublicKeyOf(PrivateKey key)
    {
        using System.Security.Cryptography.AsymmetricAlgorithm bcl = key.Algorithm is KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384
            ? System.Security.Cryptography.ECDsa.Create()
            : System.Security.Cryptography.RSA.Create();
        bcl.ImportPkcs8PrivateKey(key.ExportPkcs8Der(), out _);
        return PublicKeyFactory.CreateKey(bcl.ExportSubjectPublicKeyInfo());
    }
}

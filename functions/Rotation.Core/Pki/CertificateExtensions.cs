using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Rotation.Core.Pki;

/// <summary>The extensions Rotation reasons about, decoded once from a certificate.</summary>
internal sealed record CertificateExtensions(
    bool IsCa,
    int? PathLength,
    int? KeyUsage,
    string? SubjectKeyId,
    string? AuthorityKeyId,
    IReadOnlyList<string> DnsNames,
    IReadOnlyList<string> UriNames,
    IReadOnlySet<string>? ExtendedKeyUsages)
{
    public static CertificateExtensions Read(BcCertificate certificate)
    {
        var extensions = certificate.CertificateStructure.TbsCertificate.Extensions;
        if (extensions is null)
        {
            return new CertificateExtensions(false, null, null, null, null, [], [], null);
        }

        var basic = Parse(extensions, X509Extensions.BasicConstraints, BasicConstraints.GetInstance);
        var keyUsage = Parse(extensions, X509Extensions.KeyUsage, Org.BouncyCastle.Asn1.X509.KeyUsage.GetInstance);
        var ski = Parse(extensions, X509Extensions.SubjectKeyIdentifier, SubjectKeyIdentifier.GetInstance);
        var aki = Parse(extensions, X509Extensions.AuthorityKeyIdentifier, AuthorityKeyIdentifier.GetInstance);
        var san = Parse(extensions, X509Extensions.SubjectAlternativeName, GeneralNames.GetInstance);
        var eku = Parse(extensions, X509Extensions.ExtendedKeyUsage, ExtendedKeyUsage.GetInstance);

        var names = san?.GetNames() ?? [];
        return new CertificateExtensions(
            basic?.IsCA() == true,
            basic?.IsCA() == true && basic.PathLenConstraint is { } pathLen ? pathLen.IntValueExact : null,
            keyUsage?.IntValue,
            ski is null ? null : Convert.ToHexStringLower(ski.GetKeyIdentifier()),
            aki?.KeyIdentifier is { } akid ? Convert.ToHexStringLower(akid.GetOctets()) : null,
            Names(names, GeneralName.DnsName),
            Names(names, GeneralName.UniformResourceIdentifier),
            eku?.GetAllUsages().Select(usage => usage.Id).ToHashSet(StringComparer.Ordinal));
    }

    private static T? Parse<T>(X509Extensions extensions, DerObjectIdentifier oid, Func<object, T> parse)
        where T : class
    {
        var extension = extensions.GetExtension(oid);
        return extension is null ? null : parse(extension.GetParsedValue());
    }

    private static List<string> Names(GeneralName[] names, int tag) =>
        names.Where(name => name.TagNo == tag).Select(name => ((IAsn1String)name.Name).GetString()).ToList();

    /// <summary>openssl's leaf keyUsage rule for TLS: a server may sign, encipher or agree keys; a client may sign or agree keys.</summary>
    public bool AllowsTls(TlsPurpose purpose)
    {
        if (KeyUsage is not { } bits)
        {
            return true;
        }

        var needed = Org.BouncyCastle.Asn1.X509.KeyUsage.DigitalSignature | Org.BouncyCastle.Asn1.X509.KeyUsage.KeyAgreement;
        if (purpose == TlsPurpose.Server)
        {
            needed |= Org.BouncyCastle.Asn1.X509.KeyUsage.KeyEncipherment;
        }

        return (bits & needed) != 0;
    }
}

using Org.BouncyCastle.Asn1.X509;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Rotation.Core.Pki;

/// <summary>One RFC 5280 rule a certificate breaks, named by the openssl verify error it would raise.</summary>
public sealed record StrictDeviation(int OpensslError, string Code, string Text)
{
    public override string ToString() => Text;
}

/// <summary>
/// The checks `openssl verify -x509_strict` adds, taken from openssl/openssl crypto/x509/x509_vfy.c check_extensions()
/// (commit 00207e8eee58ce161a2b761416624d10a2f6e54d, the `X509_V_FLAG_X509_STRICT && num > 1` block and the
/// X509_check_ca() case), with the flags computed as crypto/x509/v3_purp.c ossl_x509v3_cache_extensions() does.
/// The basicConstraints-not-critical check (error 89) is the one openssl 3.0.x applies in the same block (verified
/// against the openssl 3.0 binary CI runs); it was dropped from later master. Explicit EC parameters (error 94) are
/// not checked: BouncyCastle rejects such keys when the certificate is read.
/// </summary>
public static class StrictChecks
{
    /// <summary>Deviations of each certificate of a built chain (leaf first, anchor last), with its index.</summary>
    public static IReadOnlyList<(int Index, StrictDeviation Deviation)> OfChain(IReadOnlyList<Certificate> chain)
    {
        var found = new List<(int, StrictDeviation)>();
        // openssl runs the RFC 5280 block only for chains longer than one certificate (a lone self-signed EE is exempt, RFC 6818 §2).
        if (chain.Count < 2)
        {
            return found;
        }

        for (var i = 0; i < chain.Count; i++)
        {
            var notLast = i + 1 < chain.Count;
            foreach (var deviation in Of(chain[i], mustBeCa: i > 0, checkAuthorityKeyId: notLast))
            {
                found.Add((i, deviation));
            }
        }

        return found;
    }

    /// <summary>
    /// Deviations of one CA as it sits in its hierarchy: a self-signed root is the last certificate of its chains
    /// (no AKID needed), an intermediate sits in the middle. What inventory reports for every CA.
    /// </summary>
    public static IReadOnlyList<StrictDeviation> OfAuthority(Certificate ca) =>
        Of(ca, mustBeCa: true, checkAuthorityKeyId: !ca.IsSelfSigned);

    private static List<StrictDeviation> Of(Certificate certificate, bool mustBeCa, bool checkAuthorityKeyId)
    {
        var bc = certificate.Bc;
        var found = new List<StrictDeviation>();
        var extensions = bc.CertificateStructure.TbsCertificate.Extensions;
        var basic = extensions?.GetExtension(X509Extensions.BasicConstraints);
        var basicValue = basic is null ? null : BasicConstraints.GetInstance(basic.GetParsedValue());
        var isCa = basicValue?.IsCA() == true;
        var keyUsageExtension = extensions?.GetExtension(X509Extensions.KeyUsage);
        // v3_purp.c: without a keyUsage extension ex_kusage is "everything allowed" only for the CA tests below that ask for it.
        int? keyUsage = keyUsageExtension is null ? null : KeyUsage.GetInstance(keyUsageExtension.GetParsedValue()).IntValue;

        var checkCa = CheckCa(bc, basicValue, keyUsage);
        if (checkCa is not (0 or 1) || (mustBeCa && checkCa == 0))
        {
            found.Add(new(79, "invalid_ca", "not a proper CA certificate: no basicConstraints CA:TRUE although it claims to sign certificates (X509_check_ca)"));
        }

        if (basicValue?.PathLenConstraint is not null)
        {
            if (!isCa)
            {
                found.Add(new(80, "pathlen_invalid_for_non_ca", "basicConstraints has a pathLen but CA is not TRUE (RFC 5280 4.2.1.9)"));
            }

            if (keyUsage is { } bits && (bits & KeyUsage.KeyCertSign) == 0)
            {
                found.Add(new(81, "pathlen_without_ku_key_cert_sign", "basicConstraints has a pathLen but keyUsage lacks keyCertSign (RFC 5280 4.2.1.9)"));
            }
        }

        if (isCa && basic is { IsCritical: false })
        {
            found.Add(new(89, "ca_bcons_not_critical", "basicConstraints of a CA is not marked critical (RFC 5280 4.2.1.9)"));
        }

        if (isCa && keyUsage is null)
        {
            found.Add(new(92, "ca_cert_missing_key_usage", "a CA without a keyUsage extension (RFC 5280 4.2.1.3)"));
        }
        else if (!isCa && keyUsage is { } bits && (bits & KeyUsage.KeyCertSign) != 0)
        {
            found.Add(new(82, "ku_key_cert_sign_invalid_for_non_ca", "keyUsage keyCertSign on a certificate that is not a CA (RFC 5280 4.2.1.3)"));
        }

        if (bc.IssuerDN.GetOidList().Count == 0)
        {
            found.Add(new(83, "issuer_name_empty", "the issuer name is empty (RFC 5280 4.1.2.4)"));
        }

        var san = extensions?.GetExtension(X509Extensions.SubjectAlternativeName);
        var sanNames = san is null ? null : GeneralNames.GetInstance(san.GetParsedValue()).GetNames();
        if ((isCa || (keyUsage is { } usage && (usage & KeyUsage.CrlSign) != 0) || san is null) && bc.SubjectDN.GetOidList().Count == 0)
        {
            found.Add(new(84, "subject_name_empty", "the subject name is empty (RFC 5280 4.1.2.6)"));
        }

        if (sanNames is { Length: 0 })
        {
            found.Add(new(87, "empty_subject_alt_name", "subjectAltName is present but empty (RFC 5280 4.2.1.6)"));
        }

        if (!bc.CertificateStructure.SignatureAlgorithm.Equals(bc.CertificateStructure.TbsCertificate.Signature))
        {
            found.Add(new(78, "signature_algorithm_inconsistency", "the outer signature algorithm differs from the one inside the certificate (RFC 5280 4.1.1.2)"));
        }

        if (bc.Version >= 3)
        {
            var aki = extensions?.GetExtension(X509Extensions.AuthorityKeyIdentifier);
            // x509_vfy.c: only for a certificate that is not the last of the chain and not self-signed.
            var needsAki = checkAuthorityKeyId && !certificate.IsSelfSigned;
            if (needsAki && aki is null)
            {
                found.Add(new(85, "missing_authority_key_identifier", "no authorityKeyIdentifier (RFC 5280 4.2.1.1)"));
            }

            if (isCa && extensions?.GetExtension(X509Extensions.SubjectKeyIdentifier) is null)
            {
                found.Add(new(86, "missing_subject_key_identifier", "a CA without a subjectKeyIdentifier (RFC 5280 4.2.1.2)"));
            }
        }
        else if (extensions is not null && extensions.GetExtensionOids().Length > 0)
        {
            found.Add(new(93, "extensions_require_version_3", $"a version {bc.Version} certificate with extensions (RFC 5280 4.1.2.1)"));
        }

        return found;
    }

    /// <summary>openssl X509_check_ca: 1 = proper CA, 0 = not a CA, 3/4 = only "probably" a CA (v1 self-signed, or keyCertSign without basicConstraints).</summary>
    private static int CheckCa(BcCertificate bc, BasicConstraints? basic, int? keyUsage)
    {
        if (basic is not null)
        {
            return basic.IsCA() ? 1 : 0;
        }

        if (bc.Version == 1 && bc.SubjectDN.Equivalent(bc.IssuerDN, true))
        {
            return 3;
        }

        return keyUsage is { } bits && (bits & KeyUsage.KeyCertSign) != 0 ? 4 : 0;
    }
}

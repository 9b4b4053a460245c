using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.X509.Extension;

namespace Rotation.Core.Pki;

/// <summary>RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents.</summary>
internal static class SubjectKeyIds
{
    public static byte[] Of(AsymmetricKeyParameter publicKey) =>
        X509ExtensionUtilities.CreateSubjectKeyIdentifier(publicKey).GetKeyIdentifier();

    /// <summary>The issuer's own SKI when it has one (so AKI always matches it), else computed from its key.</summary>
    public static byte[] Of(Certificate issuer) =>
        issuer.SubjectKeyId is { } ski ? Convert.FromHexString(ski) : Of(issuer.BcPublicKey);
}

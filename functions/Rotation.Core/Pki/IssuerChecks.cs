namespace Rotation.Core.Pki;

/// <summary>What an issuer must satisfy before it signs anything. Refusal beats minting a certificate nobody will accept.</summary>
internal static class IssuerChecks
{
    public static void EnsureCanIssue(CertificateWithKey issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, string subject)
    {
        var ca = issuer.Certificate;
        if (!ca.IsCa)
        {
            throw new PkiException($"issuer '{ca.Subject}' is not a CA (basicConstraints CA:TRUE missing): issue from a CA certificate");
        }

        if (!ca.HasKeyCertSign)
        {
            throw new PkiException($"issuer '{ca.Subject}' lacks keyUsage keyCertSign: issue from a CA certificate allowed to sign certificates");
        }

        if (!issuer.Key.Matches(ca))
        {
            throw new PkiException($"the private key does not match issuer certificate '{ca.Subject}': supply the key that was issued with it");
        }

        // Clamping would silently hand out a shorter life than asked for; the caller must decide.
        if (notBefore < ca.NotBefore || notAfter > ca.NotAfter)
        {
            throw new PkiException(
                $"'{subject}' validity {notBefore:u}..{notAfter:u} is outside issuer '{ca.Subject}' validity {ca.NotBefore:u}..{ca.NotAfter:u}: request a validity within the issuer's");
        }
    }
}

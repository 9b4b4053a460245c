namespace Rotation.Core.Pki;

/// <summary>What an issuer must satisfy before it signs anything. Refusal beats minting a certificate nobody will accept.</summary>
internal static class IssuerChecks
{
    public static void EnsureCanIssue(CertificateWithKey issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, string subject) =>
        EnsureCanIssue(issuer.Certificate, issuer.Key.Matches, notBefore, notAfter, subject);

    /// <summary>The same checks for a key held in custody: only its public half is needed to prove it is the CA's.</summary>
    public static void EnsureCanIssue(Certificate issuer, PublicKey signingKey, DateTimeOffset notBefore, DateTimeOffset notAfter, string subject) =>
        EnsureCanIssue(issuer, signingKey.Matches, notBefore, notAfter, subject);

    private static void EnsureCanIssue(Certificate ca, Func<Certificate, bool> keyMatches, DateTimeOffset notBefore, DateTimeOffset notAfter, string subject)
    {
        if (!ca.IsCa)
        {
            throw new PkiException($"issuer '{ca.Subject}' is not a CA (basicConstraints CA:TRUE missing): issue from a CA certificate");
        }

        if (!ca.HasKeyCertSign)
        {
            throw new PkiException($"issuer '{ca.Subject}' lacks keyUsage keyCertSign: issue from a CA certificate allowed to sign certificates");
        }

        if (!keyMatches(ca))
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

namespace Rotation.Core.Authorities;

/// <summary>
/// The subjects Rotation gives the CAs it mints. A trust domain may be a DNS name of up to 253 characters, but
/// RFC 5280 (Appendix A.1: ub-common-name and ub-organization-name, both 64) bounds CN and O, and BouncyCastle
/// refuses longer values; so a long domain is cut to fit in the names, where it is only a label. The certificates
/// are told apart by their keys (SKI/AKI), never by these strings.
/// </summary>
public static class CaSubjects
{
    public const int UpperBound = 64;

    public static string Root(string domain, string stamp) => Subject(domain, $" Root CA {stamp}");

    public static string Intermediate(string domain, string stamp) => Subject(domain, $" Intermediate CA {stamp}");

    /// <summary>O=: the domain, cut to the bound.</summary>
    public static string Organization(string domain) => Fit(domain, UpperBound);

    private static string Subject(string domain, string suffix) =>
        $"CN={Fit(domain, UpperBound - suffix.Length)}{suffix},O={Organization(domain)}";

    // A cut never ends on a label separator, which would read as a typo.
    private static string Fit(string text, int length) => text.Length <= length ? text : text[..length].TrimEnd('.', '-');
}

using Rotation.Core.Domain;

namespace Rotation.Core.Authorities;

/// <summary>SPIFFE ids (spiffe://trust-domain/path) as the SPIFFE ID spec allows them, checked against the issuing domain.</summary>
public static class SpiffeIds
{
    private const string Scheme = "spiffe://";

    public static void Validate(string? spiffeId, string domain)
    {
        var problem = FindProblem(spiffeId, domain);
        if (problem is not null)
        {
            throw new DomainException($"invalid SPIFFE id '{spiffeId}': {problem}; use spiffe://{domain}/<path>, e.g. spiffe://{domain}/ns/default/sa/web");
        }
    }

    private static string? FindProblem(string? spiffeId, string domain)
    {
        if (string.IsNullOrEmpty(spiffeId) || !spiffeId.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return "it does not start with 'spiffe://'";
        }

        var rest = spiffeId[Scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var trustDomain = slash < 0 ? rest : rest[..slash];
        if (trustDomain != domain)
        {
            return $"its trust domain '{trustDomain}' is not '{domain}'";
        }

        if (slash < 0 || slash == rest.Length - 1)
        {
            return "it has no path";
        }

        foreach (var segment in rest[(slash + 1)..].Split('/'))
        {
            if (segment.Length == 0)
            {
                return "its path has an empty segment";
            }

            if (segment is "." or "..")
            {
                return "its path has a '.' or '..' segment";
            }

            if (!segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                return $"path segment '{segment}' has characters other than letters, digits, '-', '.' and '_'";
            }
        }

        return null;
    }
}

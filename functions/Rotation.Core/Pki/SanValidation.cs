namespace Rotation.Core.Pki;

internal static class SanValidation
{
    public static string Dns(string name)
    {
        var valid = !string.IsNullOrWhiteSpace(name)
            && name.Length <= 253
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '*' or '_');
        return valid ? name : throw new PkiException($"DNS SAN '{name}' is not a DNS name: use letters, digits, '-', '.' (and a leading '*.' for wildcards)");
    }

    public static string Uri(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && !string.IsNullOrEmpty(parsed.Scheme) && !uri.Any(char.IsWhiteSpace)
            ? uri
            : throw new PkiException($"URI SAN '{uri}' is not an absolute URI: use e.g. 'spiffe://mesh.example.internal/ns/default/sa/web'");
}

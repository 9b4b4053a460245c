namespace Rotation.Core.Pki;

/// <summary>
/// Reads a certificate file the way the peers that will load it do. OpenSSL's PEM reader (and so nginx, HAProxy,
/// Envoy on OpenSSL) wants every BEGIN/END marker alone on its line: `cat a.pem b.pem` of a file without a trailing
/// newline glues "-----END CERTIFICATE----------BEGIN CERTIFICATE-----" onto one line, which nginx refuses
/// ("PEM_read_bio_X509_AUX ... bad end line"). A chain or bundle file is also no place for a private key.
/// </summary>
public static class PemFile
{
    public static IReadOnlyList<Certificate> ReadCertificates(string text, string sourceName)
    {
        CheckMarkerLines(text ?? string.Empty, sourceName);
        return Pem.ReadCertificates(text ?? string.Empty, sourceName);
    }

    private static void CheckMarkerLines(string text, string sourceName)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r').Trim();
            var begin = line.IndexOf("-----BEGIN ", StringComparison.Ordinal);
            var end = line.IndexOf("-----END ", StringComparison.Ordinal);
            if (begin < 0 && end < 0)
            {
                continue;
            }

            var number = i + 1;
            var first = begin < 0 ? end : end < 0 ? begin : Math.Min(begin, end);
            var markerEnd = line.IndexOf("-----", line.IndexOf(' ', first) + 1, StringComparison.Ordinal);
            var marker = markerEnd < 0 ? line[first..] : line[first..(markerEnd + 5)];
            if (marker.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                throw new PkiException($"{sourceName}: line {number}: a private key block ('{marker}'): a chain or trust bundle file must hold certificates only; remove the key from this file and keep it in its own 0600 file");
            }

            if (first != 0 || markerEnd < 0 || markerEnd + 5 != line.Length)
            {
                throw new PkiException($"{sourceName}: line {number}: '{Shorten(line)}' is not a PEM marker alone on its line (two files concatenated without a trailing newline?); "
                    + "nginx and openssl refuse this ('bad end line'): put a line break between '-----END CERTIFICATE-----' and '-----BEGIN CERTIFICATE-----'");
            }
        }
    }

    private static string Shorten(string line) => line.Length <= 80 ? line : line[..77] + "...";
}

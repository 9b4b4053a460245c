using System.Text;

namespace Rotation.Core.Pki;

/// <summary>Standard PEM blocks: 64-column base64, "\n" line endings, no headers or comments.</summary>
internal static class PemText
{
    public static string Write(string label, ReadOnlySpan<byte> der)
    {
        var base64 = Convert.ToBase64String(der);
        var builder = new StringBuilder(base64.Length + (base64.Length / 64) + 64);
        builder.Append("-----BEGIN ").Append(label).Append("-----\n");
        for (var i = 0; i < base64.Length; i += 64)
        {
            builder.Append(base64.AsSpan(i, Math.Min(64, base64.Length - i))).Append('\n');
        }

        builder.Append("-----END ").Append(label).Append("-----\n");
        return builder.ToString();
    }

    /// <summary>
    /// Every BEGIN/END block in order. A BEGIN with no matching END before the next BEGIN is reported with a null body,
    /// and scanning resumes after it so one broken block does not hide the rest.
    /// </summary>
    public static IEnumerable<(string Label, string? Body)> Blocks(string text)
    {
        const string Begin = "-----BEGIN ";
        const string Dashes = "-----";
        var position = 0;
        while (true)
        {
            var begin = text.IndexOf(Begin, position, StringComparison.Ordinal);
            if (begin < 0)
            {
                yield break;
            }

            var labelStart = begin + Begin.Length;
            var labelEnd = text.IndexOf(Dashes, labelStart, StringComparison.Ordinal);
            var lineEnd = text.IndexOf('\n', labelStart);
            if (labelEnd < 0 || (lineEnd >= 0 && lineEnd < labelEnd))
            {
                // Not a BEGIN line after all ("-----BEGIN" followed by prose): skip it.
                position = labelStart;
                continue;
            }

            var label = text[labelStart..labelEnd];
            var footer = $"-----END {label}-----";
            var bodyStart = labelEnd + Dashes.Length;
            var end = text.IndexOf(footer, bodyStart, StringComparison.Ordinal);
            var nextBegin = text.IndexOf(Begin, bodyStart, StringComparison.Ordinal);
            if (end < 0 || (nextBegin >= 0 && nextBegin < end))
            {
                yield return (label, null);
                position = bodyStart;
                continue;
            }

            yield return (label, text[bodyStart..end]);
            position = end + footer.Length;
        }
    }

    /// <summary>Decodes a block body; null when it is not base64 (or carries RFC 1421 headers we do not support).</summary>
    public static byte[]? Decode(string body)
    {
        if (body.Contains(':', StringComparison.Ordinal))
        {
            return null;
        }

        var compact = new StringBuilder(body.Length);
        foreach (var c in body)
        {
            if (!char.IsWhiteSpace(c))
            {
                compact.Append(c);
            }
        }

        var bytes = new byte[compact.Length];
        return Convert.TryFromBase64String(compact.ToString(), bytes, out var written) && written > 0 ? bytes[..written] : null;
    }
}

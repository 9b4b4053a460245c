using System.Text;
using Rotation.Core.Domain;

namespace Rotation.Infra.Files;

/// <summary>
/// Splits a reload command such as <c>nginx -p /srv/nginx -s reload</c> into argv the way a POSIX shell splits words
/// (whitespace, single and double quotes, backslash), without expanding anything: the command is never run through a
/// shell, so <c>$VAR</c>, <c>;</c> and <c>|</c> are plain characters.
/// </summary>
public static class CommandLine
{
    public static IReadOnlyList<string> Split(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is { } q)
            {
                if (c == q)
                    quote = null;
                else if (c == '\\' && q == '"' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
                    current.Append(text[++i]);
                else
                    current.Append(c);
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                current.Append(text[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                    words.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (quote is not null)
            throw new DomainException($"reload command '{text}' has an unclosed {quote} quote: close it");
        if (inWord)
            words.Add(current.ToString());
        if (words.Count == 0)
            throw new DomainException("the reload command is empty: pass the program and its arguments, e.g. --reload \"nginx -s reload\"");
        return words;
    }

    /// <summary>argv back as one line for messages, quoting words that need it.</summary>
    public static string Format(IReadOnlyList<string> argv) =>
        string.Join(' ', argv.Select(a => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./=:@,+".Contains(c, StringComparison.Ordinal)) ? a : $"'{a.Replace("'", "'\\''", StringComparison.Ordinal)}'"));
}

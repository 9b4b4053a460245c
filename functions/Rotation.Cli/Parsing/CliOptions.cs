using System.CommandLine;
using System.CommandLine.Parsing;
using Rotation.Core.Pki;
using Rotation.Core.Rotations;

namespace Rotation.Cli.Parsing;

/// <summary>Options shared by several commands, with parsers that turn bad values into usage errors (exit 2).</summary>
public static class CliOptions
{
    public static Option<string?> Home() => new("--home")
    {
        Description = $"Rotation's home folder (rotation.db and keys/); default ${CliContext.HomeVariable} or ./{CliContext.DefaultHome}",
        Recursive = true,
        HelpName = "DIR",
    };

    public static Option<string?> Domain(bool required = false) => new("--domain", "-d")
    {
        Description = required ? "Trust domain, e.g. mesh.example.internal" : "Trust domain; may be omitted when there is only one",
        Required = required,
        HelpName = "DOMAIN",
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "Print JSON instead of a table",
    };

    /// <summary>A duration option; its default is applied by <see cref="DurationOption.ValueOf"/> so help shows "10y", not "3650.00:00:00".</summary>
    public static DurationOption Duration(string name, string description, string defaultValue) => new(
        new Option<TimeSpan?>(name)
        {
            Description = $"{description} (default {defaultValue})",
            HelpName = "DURATION",
            CustomParser = result => ParseDuration(result, name),
        },
        DurationParser.Parse(defaultValue));

    public static Option<DateTimeOffset?> At(string description) => new("--at")
    {
        Description = description,
        HelpName = "TIME",
        CustomParser = ParseInstant,
    };

    /// <summary>--key; null when omitted (the caller's default is ecdsa-p256).</summary>
    public static Option<KeyAlgorithm?> Key()
    {
        var option = new Option<KeyAlgorithm?>("--key")
        {
            Description = $"Key algorithm of the CAs: {string.Join(", ", KeyAlgorithmNames.All)} (default ecdsa-p256)",
            HelpName = "ALGORITHM",
            CustomParser = ParseKeyAlgorithm,
        };
        // The enum's own names (Root, Intermediate) are not what the parser accepts.
        option.CompletionSources.Clear();
        option.CompletionSources.Add([.. KeyAlgorithmNames.All]);
        return option;
    }

    public static Option<string> RequiredPath(string name, string description, string helpName) => new(name)
    {
        Description = description,
        Required = true,
        HelpName = helpName,
    };

    /// <summary>A whole-number option whose bad values read as usage errors naming the option, not as .NET types.</summary>
    public static Option<int?> WholeNumber(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => ParseWholeNumber(result, name),
    };

    /// <summary>--kind: root or intermediate; null when omitted so each command states its own default.</summary>
    public static Option<RotationKind?> Kind(string description)
    {
        var option = new Option<RotationKind?>("--kind") { Description = description, HelpName = "KIND", CustomParser = ParseKind };
        // The enum's own names (Root, Intermediate) are not what the parser accepts.
        option.CompletionSources.Clear();
        option.CompletionSources.Add("root", "intermediate");
        return option;
    }

    private static int? ParseWholeNumber(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        // A sign is allowed: --seed has always taken negative values; ranges (--clusters 1..99) are each command's check.
        if (int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        result.AddError($"{name}: '{text}' is not a whole number: give digits, e.g. {name} 3");
        return null;
    }

    private static RotationKind? ParseKind(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        switch (text.ToLowerInvariant())
        {
            case "root":
                return RotationKind.Root;
            case "intermediate":
                return RotationKind.Intermediate;
            default:
                result.AddError($"--kind: unknown rotation kind '{text}': use root or intermediate");
                return null;
        }
    }

    private static TimeSpan? ParseDuration(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (DurationParser.TryParse(text, out var duration, out var error))
        {
            return duration;
        }

        result.AddError($"{name}: {error}");
        return null;
    }

    private static DateTimeOffset? ParseInstant(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (InstantParser.TryParse(text, out var instant, out var error))
        {
            return instant;
        }

        result.AddError($"--at: {error}");
        return null;
    }

    private static KeyAlgorithm? ParseKeyAlgorithm(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (KeyAlgorithmNames.TryParse(text, out var algorithm))
        {
            return algorithm;
        }

        result.AddError($"--key: unknown key algorithm '{text}': use one of {string.Join(", ", KeyAlgorithmNames.All)}");
        return null;
    }
}

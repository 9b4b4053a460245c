using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Rotation.Cli.Tests.Support;

/// <summary>
/// The schemas of docs/schemas (copied next to the tests), loaded with JsonSchema.Net (draft 2020-12) into one
/// registry so their relative $refs to common.schema.json resolve, and the command tree's names for them.
/// </summary>
public static partial class CommandSchemas
{
    /// <summary>Commands without --json, and why: their output already is a machine format of its own.</summary>
    public static readonly IReadOnlyDictionary<string, string> Exceptions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["completion"] = "prints a shell script for bash, zsh or pwsh to source",
        ["metrics"] = "prints the Prometheus text exposition format (rendered by prometheus-net), which is what node_exporter and Prometheus read",
    };

    private static readonly Lazy<(SchemaRegistry Registry, Dictionary<string, JsonSchema> Schemas)> Loaded = new(Load);

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Schemas");

    public static IReadOnlyCollection<string> Names => Loaded.Value.Schemas.Keys;

    /// <summary>"cluster-check" for `rotation cluster check`: the path below the root, joined by '-'.</summary>
    public static string NameOf(Command command)
    {
        var names = new List<string>();
        for (var current = command; current is not null and not RootCommand; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, current.Name);
        }

        return string.Join('-', names);
    }

    /// <summary>Every command that runs something (has an action), below the root.</summary>
    public static IEnumerable<Command> Runnable(Command root)
    {
        foreach (var sub in root.Subcommands)
        {
            if (sub.Action is not null)
            {
                yield return sub;
            }

            foreach (var below in Runnable(sub))
            {
                yield return below;
            }
        }
    }

    public static bool Exists(string name) => Loaded.Value.Schemas.ContainsKey(name);

    /// <summary>Fails with every schema error unless <paramref name="json"/> is valid under docs/schemas/NAME.schema.json.</summary>
    public static void AssertValid(string name, string json)
    {
        Assert.True(Exists(name), $"no docs/schemas/{name}.schema.json");
        AssertNoDotNetDurations(json);
        using var document = JsonDocument.Parse(json);
        var result = Loaded.Value.Schemas[name].Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        Assert.True(result.IsValid, $"{name}: output does not match its schema:\n{Errors(result)}\n{json}");
    }

    /// <summary>A duration must read "P730D", never .NET's "730.00:00:00" or "00:30:00".</summary>
    public static void AssertNoDotNetDurations(string json)
    {
        var match = DotNetTimeSpan().Match(json);
        Assert.False(match.Success, $"a .NET TimeSpan in JSON output: {match.Value}");
    }

    private static string Errors(EvaluationResults result) => JsonSerializer.Serialize(result, Indented);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static (SchemaRegistry, Dictionary<string, JsonSchema>) Load()
    {
        var registry = new SchemaRegistry();
        var options = new BuildOptions { SchemaRegistry = registry };
        var schemas = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        // common first: the others refer to it.
        foreach (var file in Directory.GetFiles(Folder, "*.schema.json").OrderBy(f => Path.GetFileName(f) == "common.schema.json" ? 0 : 1))
        {
            var schema = JsonSchema.FromFile(file, options);
            registry.Register(schema);
            schemas[Path.GetFileName(file)[..^".schema.json".Length]] = schema;
        }

        return (registry, schemas);
    }

    [GeneratedRegex("\"-?(\\d+\\.)?\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,7})?\"")]
    private static partial Regex DotNetTimeSpan();
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rotation.Cli.Output;

/// <summary>The JSON the CLI prints: camelCase, enums as lowercase strings, indented for people and still fine for jq.</summary>
public static class CliJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(new LowercaseNamingPolicy()) },
    };

    public static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Options));

    private sealed class LowercaseNamingPolicy : JsonNamingPolicy
    {
        public override string ConvertName(string name) => name.ToLowerInvariant();
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Rotation.Core.Serialization;

namespace Rotation.Cli.Output;

/// <summary>
/// The JSON the CLI prints: camelCase, enums as lowercase strings, durations as ISO 8601, indented for people and
/// still fine for jq. Each command's shape is a schema in docs/schemas (see docs/operations.md).
/// </summary>
public static class CliJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Not HTML: a message reads "'x'", not "\u0027x\u0027".
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(new LowercaseNamingPolicy()), new IsoDurationJsonConverter() },
    };

    /// <summary>Stored records (rotations, clusters, leaves) as the store shapes them, but with ISO 8601 durations.</summary>
    public static JsonSerializerOptions Records { get; } = RecordOptions();

    public static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Options));

    private static JsonSerializerOptions RecordOptions()
    {
        var options = new JsonSerializerOptions(RotationJson.Options)
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Insert(0, new IsoDurationJsonConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed class LowercaseNamingPolicy : JsonNamingPolicy
    {
        public override string ConvertName(string name) => name.ToLowerInvariant();
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;

namespace Rotation.Cli.Output;

/// <summary>
/// Durations as ISO 8601 ("P730D", "PT30S"), the form JSON readers and schema "format": "duration" know; .NET's own
/// "730.00:00:00" is not a standard anyone else parses. Only the CLI's output uses it: stored records keep theirs.
/// </summary>
public sealed class IsoDurationJsonConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? throw new JsonException("a duration is a string such as P1D");
        try
        {
            return XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException ex)
        {
            throw new JsonException($"'{text}' is not an ISO 8601 duration", ex);
        }
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(XmlConvert.ToString(value));
}

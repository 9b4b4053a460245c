using System.Text;
using System.Text.Json;
using Rotation.Core.Events;

namespace Rotation.Core.Serialization;

/// <summary>
/// CloudEvents 1.0 JSON event format (structured mode): specversion, id, source, type, time, subject,
/// datacontenttype and data. The outbox stores events in this form and publishers send it unchanged.
/// </summary>
public static class CloudEventJson
{
    // Events are read by machines and people, never embedded in HTML: "+00:00" stays readable instead of "\u002B00:00".
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize(CloudEvent cloudEvent)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, cloudEvent);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>A JSON array of events (the CloudEvents batch format Event Grid accepts).</summary>
    public static string SerializeBatch(IEnumerable<CloudEvent> cloudEvents)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            foreach (var cloudEvent in cloudEvents)
            {
                Write(writer, cloudEvent);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static void Write(Utf8JsonWriter writer, CloudEvent cloudEvent)
    {
        writer.WriteStartObject();
        writer.WriteString("specversion", CloudEvent.SpecVersion);
        writer.WriteString("id", cloudEvent.Id);
        writer.WriteString("source", cloudEvent.Source);
        writer.WriteString("type", cloudEvent.Type);
        writer.WriteString("time", cloudEvent.Time);
        // CloudEvents forbids an empty subject; absent means "none".
        if (cloudEvent.Subject.Length > 0)
        {
            writer.WriteString("subject", cloudEvent.Subject);
        }

        writer.WriteString("datacontenttype", CloudEvent.DataContentType);
        if (cloudEvent.Data.ValueKind != JsonValueKind.Undefined)
        {
            writer.WritePropertyName("data");
            cloudEvent.Data.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    /// <summary>Reads one event. Throws <see cref="JsonException"/> naming the missing or wrong attribute.</summary>
    public static CloudEvent Deserialize(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Read(document.RootElement);
    }

    public static CloudEvent Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"a CloudEvent must be a JSON object, not {element.ValueKind}");
        }

        var specVersion = RequiredString(element, "specversion");
        if (specVersion != CloudEvent.SpecVersion)
        {
            throw new JsonException($"CloudEvent specversion '{specVersion}' is not supported: only {CloudEvent.SpecVersion} is");
        }

        var time = element.TryGetProperty("time", out var timeElement) && timeElement.TryGetDateTimeOffset(out var parsed)
            ? parsed
            : throw new JsonException("CloudEvent attribute 'time' is missing or not an RFC 3339 timestamp");

        // Clone detaches the data from the document, which is disposed when this returns.
        var data = element.TryGetProperty("data", out var dataElement) ? dataElement.Clone() : default;

        return new CloudEvent(
            RequiredString(element, "id"),
            RequiredString(element, "source"),
            RequiredString(element, "type"),
            time,
            element.TryGetProperty("subject", out var subject) && subject.ValueKind == JsonValueKind.String ? subject.GetString()! : string.Empty,
            data);
    }

    private static string RequiredString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new JsonException($"CloudEvent attribute '{name}' is missing or not a string");
}

using System.Text.Json;
using Rotation.Core.Events;
using Rotation.Core.Serialization;

namespace Rotation.Infra.Sqlite.Tests;

public sealed class CloudEventJsonTests
{
    private static CloudEvent Sample(string subject = "rotations/r1") => new(
        EventIds.From("rotation", "r1", "phase-started"),
        "/rotation/mesh.example.internal",
        EventTypes.PhaseStarted,
        new DateTimeOffset(2026, 11, 23, 1, 2, 3, TimeSpan.FromHours(1)).AddTicks(4567),
        subject,
        JsonDocument.Parse("""{"phase":"distributeTrust","targets":["a","b"],"n":1.5,"ok":true,"none":null}""").RootElement.Clone());

    [Fact]
    public void An_event_is_written_in_the_cloudevents_json_format()
    {
        using var json = JsonDocument.Parse(CloudEventJson.Serialize(Sample()));
        var root = json.RootElement;

        Assert.Equal(
            ["specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("1.0", root.GetProperty("specversion").GetString());
        Assert.Equal("Rotation.PhaseStarted", root.GetProperty("type").GetString());
        Assert.Equal("application/json", root.GetProperty("datacontenttype").GetString());
        Assert.Equal(JsonValueKind.Object, root.GetProperty("data").ValueKind);
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("time").GetString(), out _));
    }

    [Fact]
    public void An_event_round_trips_exactly()
    {
        var original = Sample();

        var read = CloudEventJson.Deserialize(CloudEventJson.Serialize(original));

        Assert.Equal((original.Id, original.Source, original.Type, original.Time, original.Subject), (read.Id, read.Source, read.Type, read.Time, read.Subject));
        Assert.Equal(original.Time.Offset, read.Time.Offset);
        Assert.True(JsonElement.DeepEquals(original.Data, read.Data));
    }

    [Fact]
    public void An_empty_subject_is_left_out_and_reads_back_empty()
    {
        var json = CloudEventJson.Serialize(Sample(subject: ""));

        Assert.DoesNotContain("subject", json);
        Assert.Equal("", CloudEventJson.Deserialize(json).Subject);
    }

    [Fact]
    public void A_batch_is_a_json_array_of_events()
    {
        using var json = JsonDocument.Parse(CloudEventJson.SerializeBatch([Sample(), Sample("other")]));

        Assert.Equal(2, json.RootElement.GetArrayLength());
        Assert.Equal("other", json.RootElement[1].GetProperty("subject").GetString());
    }

    [Theory]
    [InlineData("""{"specversion":"0.3","id":"a","source":"s","type":"t","time":"2026-01-01T00:00:00Z"}""", "specversion '0.3'")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"t","time":"2026-01-01T00:00:00Z"}""", "'id'")]
    [InlineData("""{"specversion":"1.0","id":"a","source":"s","type":"t","time":"yesterday"}""", "'time'")]
    [InlineData("""[1]""", "JSON object")]
    public void A_malformed_event_is_refused_naming_the_problem(string json, string expected)
    {
        var error = Assert.Throws<JsonException>(() => CloudEventJson.Deserialize(json));

        Assert.Contains(expected, error.Message);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Serialization;

namespace Rotation.Cli.Output;

/// <summary>status --json: the stored record as it is, plus "waiting" (<see cref="RotationWaiting"/>) so a script sees a parked rotation.</summary>
public static class RotationStatusJson
{
    public static string One(RotationRecord record, DateTimeOffset now) => Node(record, now).ToJsonString(RotationJson.Options);

    public static string Many(IEnumerable<RotationRecord> records, DateTimeOffset now) =>
        new JsonArray([.. records.Select(r => (JsonNode)Node(r, now))]).ToJsonString(RotationJson.Options);

    private static JsonObject Node(RotationRecord record, DateTimeOffset now)
    {
        var node = JsonNode.Parse(RotationJson.Serialize(record))!.AsObject();
        node["waiting"] = JsonSerializer.SerializeToNode(RotationWaiting.Of(record, now), RotationJson.Options);
        return node;
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Cli.Output;

/// <summary>
/// status --json (and rotate, approve, resume, abort --json): the stored record as it is, durations in ISO 8601, plus
/// "waiting" (<see cref="RotationWaiting"/>) so a script sees a parked rotation. Schema: docs/schemas/rotation.schema.json.
/// </summary>
public static class RotationStatusJson
{
    public static string One(RotationRecord record, DateTimeOffset now) => Node(record, now).ToJsonString(CliJson.Records);

    public static string Many(IEnumerable<RotationRecord> records, DateTimeOffset now) =>
        new JsonArray([.. records.Select(r => (JsonNode)Node(r, now))]).ToJsonString(CliJson.Records);

    private static JsonObject Node(RotationRecord record, DateTimeOffset now)
    {
        var node = JsonSerializer.SerializeToNode(record, CliJson.Records)!.AsObject();
        node["waiting"] = JsonSerializer.SerializeToNode(RotationWaiting.Of(record, now), CliJson.Records);
        return node;
    }
}

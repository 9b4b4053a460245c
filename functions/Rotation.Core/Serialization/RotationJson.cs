using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Rotation.Core.Domain;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Evidence;
using Rotation.Core.Rotations.Steps;

namespace Rotation.Core.Serialization;

/// <summary>
/// The one JSON shape of rotation records and cluster registrations, wherever they are stored (SQLite, Table
/// storage, Durable payloads). Enums are strings so a stored record survives enum reordering; dictionary keys
/// (target names) are kept exactly as given.
/// </summary>
public static class RotationJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    public static string Serialize(RotationRecord record) => JsonSerializer.Serialize(record, Options);

    public static RotationRecord DeserializeRotation(string json) => Deserialize<RotationRecord>(json, "rotation record");

    public static string Serialize(ClusterRegistration cluster) => JsonSerializer.Serialize(cluster, Options);

    public static ClusterRegistration DeserializeCluster(string json) => Deserialize<ClusterRegistration>(json, "cluster registration");

    public static string Serialize(IssuedLeaf leaf) => JsonSerializer.Serialize(leaf, Options);

    public static IssuedLeaf DeserializeIssuedLeaf(string json) => Deserialize<IssuedLeaf>(json, "issued leaf record");

    private static T Deserialize<T>(string json, string what)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(json, Options);
        }
        catch (JsonException ex)
        {
            throw new JsonException($"stored {what} cannot be read ({ex.Message}): the state store is damaged or was written by a newer rotation build", ex);
        }

        return value ?? throw new JsonException($"stored {what} is JSON null: the state store is damaged, restore it from a backup");
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            // Computed members (IsActive, CurrentPhase, ...) are derived on read; storing them would only invite drift.
            IgnoreReadOnlyProperties = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            WriteIndented = false,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { OmitDefaultsOfRoundAnswers } },
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>
    /// A round in progress keeps one answer per target in the record (<see cref="Rotations.Engine.PhaseRoundState"/>),
    /// so at a thousand clusters its size matters (a Table entity holds 1 MB): an answer's members left at their
    /// default (no hold, no findings, no error) are not written, and read back as that default.
    /// </summary>
    private static void OmitDefaultsOfRoundAnswers(JsonTypeInfo info)
    {
        if (info.Type != typeof(TargetPart) && info.Type != typeof(TargetResult<TargetPart>))
        {
            return;
        }

        foreach (var property in info.Properties)
        {
            property.ShouldSerialize = (_, value) => value is not (null or false or 0);
        }
    }
}

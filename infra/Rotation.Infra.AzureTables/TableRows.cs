using System.Globalization;
using Azure.Data.Tables;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Serialization;

namespace Rotation.Infra.AzureTables;

/// <summary>
/// Entity to record mapping. Times are round-trip text (Table Storage's DateTime drops the offset); JSON is split
/// over several properties because one string property holds at most 64 KiB.
/// </summary>
internal static class TableRows
{
    public const string Version = "Version";
    private const int ChunkChars = 30_000;

    public static TableEntity Domain(string partition, TrustDomain domain) => new(partition, TableKeys.DomainRow)
    {
        ["Name"] = domain.Name,
        ["CreatedAt"] = Time(domain.CreatedAt),
        ["KeyAlgorithm"] = domain.KeyAlgorithm.ToName(),
        [Version] = domain.Version + 1,
    };

    public static TrustDomain Domain(TableEntity entity) => new(
        entity.GetString("Name"),
        ParseTime(entity.GetString("CreatedAt")),
        KeyAlgorithmNames.Parse(entity.GetString("KeyAlgorithm")),
        VersionOf(entity));

    public static TableEntity Authority(string partition, CertificateAuthority authority, long order) => new(partition, TableKeys.Row(TableKeys.Authority, authority.Id))
    {
        ["Id"] = authority.Id,
        ["Domain"] = authority.Domain,
        ["Role"] = authority.Role.ToString(),
        ["Status"] = authority.Status.ToString(),
        ["ParentId"] = authority.ParentId,
        ["CertificatePem"] = authority.Certificate.ToPem(),
        ["KeyProvider"] = authority.Key.Provider,
        ["KeyName"] = authority.Key.Name,
        ["KeyVersion"] = authority.Key.Version,
        ["Order"] = order,
        [Version] = authority.Version + 1,
    };

    public static CertificateAuthority Authority(TableEntity entity) => new(
        entity.GetString("Id"),
        entity.GetString("Domain"),
        ParseEnum<CaRole>(entity.GetString("Role")),
        ParseEnum<CaStatus>(entity.GetString("Status")),
        entity.GetString("ParentId"),
        Certificate.FromPem(entity.GetString("CertificatePem")),
        new KeyReference(entity.GetString("KeyProvider"), entity.GetString("KeyName"), entity.GetString("KeyVersion")),
        VersionOf(entity));

    public static long OrderOf(TableEntity entity) => entity.GetInt64("Order") ?? 0;

    public static TableEntity Cluster(string partition, ClusterRegistration cluster)
    {
        var entity = new TableEntity(partition, TableKeys.Row(TableKeys.Cluster, cluster.Name))
        {
            ["Name"] = cluster.Name,
            ["Domain"] = cluster.Domain,
            [Version] = cluster.Version + 1,
        };
        WriteChunks(entity, "Json", RotationJson.Serialize(cluster with { Version = cluster.Version + 1 }));
        return entity;
    }

    public static ClusterRegistration Cluster(TableEntity entity) =>
        RotationJson.DeserializeCluster(ReadChunks(entity, "Json")) with { Version = VersionOf(entity) };

    public static TableEntity IssuedLeaf(string partition, IssuedLeaf leaf)
    {
        var entity = new TableEntity(partition, TableKeys.Row(TableKeys.IssuedLeaf, leaf.Serial))
        {
            ["Serial"] = leaf.Serial,
            ["Domain"] = leaf.Domain,
            ["IssuerId"] = leaf.IssuerId,
            ["NotAfter"] = leaf.NotAfter,
            [Version] = leaf.Version + 1,
        };
        WriteChunks(entity, "Json", RotationJson.Serialize(leaf with { Version = leaf.Version + 1 }));
        return entity;
    }

    public static IssuedLeaf IssuedLeaf(TableEntity entity) =>
        RotationJson.DeserializeIssuedLeaf(ReadChunks(entity, "Json")) with { Version = VersionOf(entity) };

    public static TableEntity Rotation(string partition, RotationRecord rotation)
    {
        var entity = new TableEntity(partition, TableKeys.Row(TableKeys.Rotation, rotation.Id))
        {
            ["Id"] = rotation.Id,
            ["Domain"] = rotation.Domain,
            ["Status"] = rotation.Status.ToString(),
            ["Active"] = rotation.IsActive,
            ["CreatedAtUtc"] = SortableTime(rotation.CreatedAt),
            [Version] = rotation.Version + 1,
        };
        WriteChunks(entity, "Json", RotationJson.Serialize(rotation with { Version = rotation.Version + 1 }));
        return entity;
    }

    public static RotationRecord Rotation(TableEntity entity) =>
        RotationJson.DeserializeRotation(ReadChunks(entity, "Json")) with { Version = VersionOf(entity) };

    public static TableEntity ActiveRotationLock(string partition, string rotationId) => new(partition, TableKeys.ActiveRotationLockRow)
    {
        ["RotationId"] = rotationId,
    };

    /// <summary>An outbox row: committed ("event|id") or staged for a large change set ("stage|changeset|id").</summary>
    public static TableEntity Event(string partition, string rowKey, CloudEvent cloudEvent, long sequence, string? changeSetId = null)
    {
        var entity = new TableEntity(partition, rowKey)
        {
            ["EventId"] = cloudEvent.Id,
            ["Type"] = cloudEvent.Type,
            ["Sequence"] = sequence,
            ["Attempts"] = 0,
        };
        if (changeSetId is not null)
        {
            entity["ChangeSet"] = changeSetId;
        }

        WriteChunks(entity, "Json", CloudEventJson.Serialize(cloudEvent));
        return entity;
    }

    /// <summary>The committed form of a staged row: same event, same sequence, no change-set marker.</summary>
    public static TableEntity Committed(TableEntity staged, string eventId)
    {
        var entity = new TableEntity(staged.PartitionKey, TableKeys.Row(TableKeys.Event, eventId));
        foreach (var (name, value) in staged)
        {
            if (name is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag" or "ChangeSet"))
            {
                entity[name] = value;
            }
        }

        return entity;
    }

    public static string EventIdOf(TableEntity entity) => entity.GetString("EventId");

    public static OutboxEntry Outbox(TableEntity entity) => new(
        entity.GetInt64("Sequence") ?? 0,
        CloudEventJson.Deserialize(ReadChunks(entity, "Json")),
        OptionalTime(entity.GetString("PublishedAt")))
    {
        Attempts = entity.GetInt32("Attempts") ?? 0,
        LastError = entity.GetString("LastError"),
        LastAttemptAt = OptionalTime(entity.GetString("LastAttemptAt")),
        ParkedAt = OptionalTime(entity.GetString("ParkedAt")),
    };

    public static TableEntity Manifest(string partition, string changeSetId, int staged, DateTimeOffset at) => new(partition, TableKeys.Manifest + changeSetId)
    {
        ["ChangeSet"] = changeSetId,
        ["Staged"] = staged,
        ["CommittedAt"] = Time(at),
    };

    public static long VersionOf(TableEntity entity) => entity.GetInt64(Version) ?? 0;

    public static string Time(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    public static string SortableTime(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static DateTimeOffset? OptionalTime(string? text) => text is null ? null : ParseTime(text);

    private static T ParseEnum<T>(string text) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new InvalidDataException($"the state table holds unknown {typeof(T).Name} '{text}': it was written by a newer rotation build, upgrade rotation");

    private static void WriteChunks(TableEntity entity, string name, string text)
    {
        var chunks = (text.Length + ChunkChars - 1) / ChunkChars;
        entity[$"{name}Chunks"] = chunks;
        for (var i = 0; i < chunks; i++)
        {
            entity[i == 0 ? name : $"{name}{i}"] = text.Substring(i * ChunkChars, Math.Min(ChunkChars, text.Length - (i * ChunkChars)));
        }
    }

    private static string ReadChunks(TableEntity entity, string name)
    {
        var chunks = entity.GetInt32($"{name}Chunks") ?? 1;
        return chunks == 1
            ? entity.GetString(name)
            : string.Concat(Enumerable.Range(0, chunks).Select(i => entity.GetString(i == 0 ? name : $"{name}{i}")));
    }
}

using Microsoft.Data.Sqlite;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Serialization;

namespace Rotation.Infra.Sqlite;

/// <summary>Row to record mapping. Every record read carries the stored version.</summary>
internal static class SqliteRows
{
    public const string DomainColumns = "name, created_at, key_algorithm, version";
    public const string AuthorityColumns = "id, domain, role, status, parent_id, certificate_pem, key_provider, key_name, version, key_version";
    public const string ClusterColumns = "json, version";
    public const string RotationColumns = "json, version";
    public const string IssuedLeafColumns = "json, version";
    public const string OutboxColumns = "seq, json, published_at, attempts, last_error, last_attempt_at, parked_at";

    public static TrustDomain Domain(SqliteDataReader row) => new(
        row.GetString(0),
        StoredTime.Parse(row.GetString(1)),
        KeyAlgorithmNames.Parse(row.GetString(2)),
        row.GetInt64(3));

    public static CertificateAuthority Authority(SqliteDataReader row) => new(
        row.GetString(0),
        row.GetString(1),
        StoredEnum.Parse<CaRole>(row.GetString(2), "CA role"),
        StoredEnum.Parse<CaStatus>(row.GetString(3), "CA status"),
        row.IsDBNull(4) ? null : row.GetString(4),
        Certificate.FromPem(row.GetString(5)),
        new KeyReference(row.GetString(6), row.GetString(7), row.IsDBNull(9) ? null : row.GetString(9)),
        row.GetInt64(8));

    public static ClusterRegistration Cluster(SqliteDataReader row) =>
        RotationJson.DeserializeCluster(row.GetString(0)) with { Version = row.GetInt64(1) };

    public static RotationRecord Rotation(SqliteDataReader row) =>
        RotationJson.DeserializeRotation(row.GetString(0)) with { Version = row.GetInt64(1) };

    public static IssuedLeaf IssuedLeaf(SqliteDataReader row) =>
        RotationJson.DeserializeIssuedLeaf(row.GetString(0)) with { Version = row.GetInt64(1) };

    public static OutboxEntry Outbox(SqliteDataReader row) => new(
        row.GetInt64(0),
        CloudEventJson.Deserialize(row.GetString(1)),
        row.IsDBNull(2) ? null : StoredTime.Parse(row.GetString(2)))
    {
        Attempts = row.GetInt32(3),
        LastError = row.IsDBNull(4) ? null : row.GetString(4),
        LastAttemptAt = row.IsDBNull(5) ? null : StoredTime.Parse(row.GetString(5)),
        ParkedAt = row.IsDBNull(6) ? null : StoredTime.Parse(row.GetString(6)),
    };
}

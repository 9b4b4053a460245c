using Microsoft.Data.Sqlite;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Pki;
using Rotation.Core.Rotations;
using Rotation.Core.Serialization;

namespace Rotation.Infra.Sqlite;

/// <summary>
/// Writes the parts of one ChangeSet inside the caller's transaction. Inserts (version 0) fail on an existing key;
/// updates only touch a row whose stored version is the caller's, then bump it. Any throw leaves the caller to roll back.
/// </summary>
internal sealed class SqliteChangeWriter
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;

    public SqliteChangeWriter(SqliteConnection connection, SqliteTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public async Task WriteDomainAsync(TrustDomain domain, CancellationToken cancellationToken)
    {
        var entity = $"trust domain '{domain.Name}'";
        var parameters = new Dictionary<string, object?>
        {
            ["$name"] = domain.Name,
            ["$createdAt"] = StoredTime.Format(domain.CreatedAt),
            ["$keyAlgorithm"] = domain.KeyAlgorithm.ToName(),
        };
        if (domain.Version == 0)
        {
            await InsertAsync(
                "INSERT INTO domains (name, created_at, key_algorithm, version) VALUES ($name, $createdAt, $keyAlgorithm, 1) ON CONFLICT (name) DO NOTHING",
                parameters,
                $"{entity} already exists: choose another name or use the existing one",
                domain.Name,
                cancellationToken);
            return;
        }

        await UpdateAsync(
            "UPDATE domains SET created_at = $createdAt, key_algorithm = $keyAlgorithm, version = $version + 1 WHERE name = $name AND version = $version",
            parameters,
            domain.Version,
            "SELECT version FROM domains WHERE name = $name",
            entity,
            domain.Name,
            cancellationToken);
    }

    public async Task WriteAuthorityAsync(CertificateAuthority authority, CancellationToken cancellationToken)
    {
        var entity = $"CA '{authority.Id}'";
        var parameters = new Dictionary<string, object?>
        {
            ["$id"] = authority.Id,
            ["$domain"] = authority.Domain,
            ["$role"] = StoredEnum.Format(authority.Role),
            ["$status"] = StoredEnum.Format(authority.Status),
            ["$parentId"] = authority.ParentId,
            ["$certificatePem"] = authority.Certificate.ToPem(),
            ["$keyProvider"] = authority.Key.Provider,
            ["$keyName"] = authority.Key.Name,
            ["$keyVersion"] = authority.Key.Version,
        };
        if (authority.Version == 0)
        {
            await InsertAsync(
                """
                INSERT INTO authorities (id, domain, role, status, parent_id, certificate_pem, key_provider, key_name, key_version, version)
                VALUES ($id, $domain, $role, $status, $parentId, $certificatePem, $keyProvider, $keyName, $keyVersion, 1)
                ON CONFLICT (id) DO NOTHING
                """,
                parameters,
                $"{entity} already exists in trust domain '{authority.Domain}': re-read the inventory instead of creating it again",
                authority.Domain,
                cancellationToken);
            return;
        }

        await UpdateAsync(
            """
            UPDATE authorities SET domain = $domain, role = $role, status = $status, parent_id = $parentId,
                certificate_pem = $certificatePem, key_provider = $keyProvider, key_name = $keyName, key_version = $keyVersion, version = $version + 1
            WHERE id = $id AND version = $version
            """,
            parameters,
            authority.Version,
            "SELECT version FROM authorities WHERE id = $id",
            entity,
            authority.Domain,
            cancellationToken);
    }

    public async Task WriteClusterAsync(ClusterRegistration cluster, CancellationToken cancellationToken)
    {
        var entity = $"cluster '{cluster.Name}'";
        var parameters = new Dictionary<string, object?>
        {
            ["$name"] = cluster.Name,
            ["$domain"] = cluster.Domain,
            ["$json"] = RotationJson.Serialize(cluster with { Version = cluster.Version + 1 }),
        };
        if (cluster.Version == 0)
        {
            await InsertAsync(
                "INSERT INTO clusters (name, domain, json, version) VALUES ($name, $domain, $json, 1) ON CONFLICT (name) DO NOTHING",
                parameters,
                $"{entity} is already registered: choose another name or update the existing registration",
                cluster.Domain,
                cancellationToken);
            return;
        }

        await UpdateAsync(
            "UPDATE clusters SET domain = $domain, json = $json, version = $version + 1 WHERE name = $name AND version = $version",
            parameters,
            cluster.Version,
            "SELECT version FROM clusters WHERE name = $name",
            entity,
            cluster.Domain,
            cancellationToken);
    }

    public async Task RemoveClusterAsync(ClusterRegistration cluster, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, object?> { ["$name"] = cluster.Name };
        await UpdateAsync(
            "DELETE FROM clusters WHERE name = $name AND version = $version",
            parameters,
            cluster.Version,
            "SELECT version FROM clusters WHERE name = $name",
            $"cluster '{cluster.Name}'",
            cluster.Domain,
            cancellationToken);
    }

    public async Task WriteRotationAsync(RotationRecord rotation, CancellationToken cancellationToken)
    {
        if (rotation.IsActive)
        {
            await RefuseSecondActiveRotationAsync(rotation, cancellationToken);
        }

        var entity = $"rotation '{rotation.Id}'";
        var parameters = new Dictionary<string, object?>
        {
            ["$id"] = rotation.Id,
            ["$domain"] = rotation.Domain,
            ["$status"] = StoredEnum.Format(rotation.Status),
            ["$active"] = rotation.IsActive ? 1 : 0,
            ["$json"] = RotationJson.Serialize(rotation with { Version = rotation.Version + 1 }),
            ["$createdAt"] = StoredTime.FormatSortable(rotation.CreatedAt),
        };
        if (rotation.Version == 0)
        {
            await InsertAsync(
                """
                INSERT INTO rotations (id, domain, status, active, json, version, created_at)
                VALUES ($id, $domain, $status, $active, $json, 1, $createdAt)
                ON CONFLICT (id) DO NOTHING
                """,
                parameters,
                $"{entity} already exists: resume it, or start a new rotation",
                rotation.Domain,
                cancellationToken);
            return;
        }

        await UpdateAsync(
            """
            UPDATE rotations SET domain = $domain, status = $status, active = $active, json = $json,
                created_at = $createdAt, version = $version + 1
            WHERE id = $id AND version = $version
            """,
            parameters,
            rotation.Version,
            "SELECT version FROM rotations WHERE id = $id",
            entity,
            rotation.Domain,
            cancellationToken);
    }

    public async Task WriteIssuedLeafAsync(IssuedLeaf leaf, CancellationToken cancellationToken)
    {
        var entity = $"issued leaf '{leaf.Serial}'";
        var parameters = new Dictionary<string, object?>
        {
            ["$domain"] = leaf.Domain,
            ["$serial"] = leaf.Serial,
            ["$issuerId"] = leaf.IssuerId,
            ["$notAfter"] = StoredTime.FormatSortable(leaf.NotAfter),
            ["$json"] = RotationJson.Serialize(leaf with { Version = leaf.Version + 1 }),
        };
        if (leaf.Version == 0)
        {
            await InsertAsync(
                """
                INSERT INTO issued_leaves (domain, serial, issuer_id, not_after, json, version)
                VALUES ($domain, $serial, $issuerId, $notAfter, $json, 1)
                ON CONFLICT (domain, serial) DO NOTHING
                """,
                parameters,
                $"{entity} is already recorded in trust domain '{leaf.Domain}'",
                leaf.Domain,
                cancellationToken);
            return;
        }

        await UpdateAsync(
            """
            UPDATE issued_leaves SET issuer_id = $issuerId, not_after = $notAfter, json = $json, version = $version + 1
            WHERE domain = $domain AND serial = $serial AND version = $version
            """,
            parameters,
            leaf.Version,
            "SELECT version FROM issued_leaves WHERE domain = $domain AND serial = $serial",
            entity,
            leaf.Domain,
            cancellationToken);
    }

    /// <summary>Appends unless an event with the same id is already there: a re-run step appends nothing.</summary>
    public async Task AppendEventAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
    {
        using var command = Command(
            """
            INSERT INTO outbox (id, type, subject, time, json) VALUES ($id, $type, $subject, $time, $json)
            ON CONFLICT (id) DO NOTHING
            """,
            new Dictionary<string, object?>
            {
                ["$id"] = cloudEvent.Id,
                ["$type"] = cloudEvent.Type,
                ["$subject"] = cloudEvent.Subject,
                ["$time"] = StoredTime.FormatSortable(cloudEvent.Time),
                ["$json"] = CloudEventJson.Serialize(cloudEvent),
            });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // The partial unique index is the guarantee; this check runs first only to name the rotation in the way.
    private async Task RefuseSecondActiveRotationAsync(RotationRecord rotation, CancellationToken cancellationToken)
    {
        using var command = Command(
            "SELECT id FROM rotations WHERE domain = $domain AND active = 1 AND id <> $id LIMIT 1",
            new Dictionary<string, object?> { ["$domain"] = rotation.Domain, ["$id"] = rotation.Id });
        if (await command.ExecuteScalarAsync(cancellationToken) is string existing)
        {
            throw ActiveRotationExists(rotation.Domain, existing);
        }
    }

    private static DomainException ActiveRotationExists(string domain, string existing) =>
        new($"trust domain '{domain}' already has an active rotation '{existing}': resume or abort it first");

    private async Task InsertAsync(string sql, Dictionary<string, object?> parameters, string duplicateMessage, string domain, CancellationToken cancellationToken)
    {
        using var command = Command(sql, parameters);
        var rows = await ExecuteTranslatingAsync(command, domain, cancellationToken);
        if (rows == 0)
        {
            throw new DomainException(duplicateMessage);
        }
    }

    private async Task UpdateAsync(
        string sql,
        Dictionary<string, object?> parameters,
        long expectedVersion,
        string versionQuery,
        string entity,
        string domain,
        CancellationToken cancellationToken)
    {
        parameters["$version"] = expectedVersion;
        using var command = Command(sql, parameters);
        if (await ExecuteTranslatingAsync(command, domain, cancellationToken) == 1)
        {
            return;
        }

        using var query = Command(versionQuery, parameters);
        var stored = await query.ExecuteScalarAsync(cancellationToken);
        throw new ConcurrencyConflictException(stored is long storedVersion
            ? $"{entity} was changed by someone else (stored version {storedVersion}, yours {expectedVersion}): re-read it and retry"
            : $"{entity} does not exist (yours is version {expectedVersion}): re-read it and retry");
    }

    private async Task<int> ExecuteTranslatingAsync(SqliteCommand command, string domain, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == SqliteConstraintForeignKey)
        {
            throw new DomainException($"trust domain '{domain}' does not exist: create it with 'rotation init' first", ex);
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == SqliteConstraintUnique && ex.Message.Contains("rotations.domain", StringComparison.Ordinal))
        {
            throw new DomainException($"trust domain '{domain}' already has an active rotation: resume or abort it first", ex);
        }
    }

    private SqliteCommand Command(string sql, Dictionary<string, object?> parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private const int SqliteConstraintForeignKey = 787;
    private const int SqliteConstraintUnique = 2067;
}

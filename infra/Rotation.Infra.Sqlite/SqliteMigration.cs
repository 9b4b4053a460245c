namespace Rotation.Infra.Sqlite;

/// <summary>One forward step of the schema. Applied once, in its own transaction, never edited after release.</summary>
internal sealed record SqliteMigration(int Version, string Description, string Sql);

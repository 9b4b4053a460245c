using System.Text;

namespace Rotation.Infra.AzureTables;

/// <summary>
/// Partition and row keys. Every trust domain is one partition, so a change set commits in one entity-group
/// transaction. Row keys start with a kind prefix; "kind|" ranges select one kind ("|" &lt; "}" in ordinal order).
/// </summary>
internal static class TableKeys
{
    /// <summary>Holds the store-wide sequence counter; '~' is escaped in names, so no domain can collide with it.</summary>
    public const string GlobalPartition = "~global";

    /// <summary>Events committed without any entity and without a domain-shaped source.</summary>
    public const string OutboxPartition = "~outbox";

    public const string DomainRow = "domain";
    public const string ActiveRotationLockRow = "lock|active-rotation";
    public const string SequenceRow = "sequence";

    public const string Authority = "ca|";
    public const string Cluster = "cluster|";
    public const string Rotation = "rotation|";
    public const string IssuedLeaf = "leaf|";
    public const string Event = "event|";
    public const string Staged = "stage|";
    public const string Manifest = "manifest|";

    public static string Partition(string domain) => Escape(domain);

    public static string Row(string prefix, string name) => prefix + Escape(name);

    public static string StagedRow(string changeSetId, string eventId) => $"{Staged}{changeSetId}|{Escape(eventId)}";

    /// <summary>An OData filter for every row key starting with <paramref name="prefix"/> (which ends in '|').</summary>
    public static string PrefixFilter(string prefix) =>
        $"RowKey ge '{prefix}' and RowKey lt '{prefix[..^1]}}}'";

    public static string PartitionFilter(string partition) => $"PartitionKey eq '{Quote(partition)}'";

    public static string Quote(string value) => value.Replace("'", "''", StringComparison.Ordinal);

    // Keys may not hold '/', '\', '#', '?' or control characters; '%' and '~' are escaped so decoding is unambiguous
    // and the '~' partitions stay reserved.
    private static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' or '~' or '|' or '\'' || char.IsControl(c))
            {
                builder.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}

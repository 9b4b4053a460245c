using Azure.Core;

namespace Rotation.Infra.AzureTables;

/// <summary>
/// Where the Table Storage state store lives: a connection string (Azurite, or an account key), or a table service
/// endpoint with a <see cref="TokenCredential"/> (managed identity; the identity needs Storage Table Data Contributor).
/// </summary>
public sealed class TableStoreOptions
{
    public string? ConnectionString { get; set; }

    /// <summary>e.g. https://ACCOUNT.table.core.windows.net; used with <see cref="Credential"/>.</summary>
    public Uri? Endpoint { get; set; }

    public TokenCredential? Credential { get; set; }

    /// <summary>The one table that holds every trust domain (created on first use).</summary>
    public string TableName { get; set; } = "rotation";

    /// <summary>Throws naming what is missing or wrong.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) == (Endpoint is null))
        {
            throw new ArgumentException("the Table Storage store needs exactly one of a connection string or a table endpoint (https://ACCOUNT.table.core.windows.net)");
        }

        if (Endpoint is not null && Credential is null)
        {
            throw new ArgumentException($"the table endpoint {Endpoint} needs a credential (DefaultAzureCredential or a managed identity)");
        }

        if (TableNameProblem(TableName) is { } problem)
        {
            throw new ArgumentException(problem);
        }
    }

    /// <summary>Why <paramref name="name"/> cannot be a table name, or null when it can.</summary>
    public static string? TableNameProblem(string? name) =>
        // Table names: 3-63 alphanumeric characters, not starting with a digit (Table service naming rules).
        name is null || name.Length is < 3 or > 63 || !char.IsAsciiLetter(name[0]) || !name.All(char.IsAsciiLetterOrDigit)
            ? $"'{name}' is not a valid table name: use 3-63 letters and digits, starting with a letter"
            : null;
}

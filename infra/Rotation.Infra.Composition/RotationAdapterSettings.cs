using Azure.Data.Tables;
using Rotation.Infra.AzureTables;

namespace Rotation.Infra.Composition;

/// <summary>
/// Which store, key custody and event sink a host runs on, and where they are: the one settings shape both hosts fill
/// (the Functions host binds it from app settings "Rotation__…", the CLI from --store/--vault/--events and their
/// variables). Values are plain strings so a bad one is a listed problem, not a binding exception.
/// </summary>
public class RotationAdapterSettings
{
    public const string SqliteStore = "sqlite";
    public const string TableStore = "table";
    public const string LocalVault = "local";
    public const string KeyVault = "keyvault";
    public const string NoEvents = "none";
    public const string EventGridEvents = "eventgrid";
    public const string WebhookEvents = "webhook";
    public const string DefaultTableName = "rotation";

    /// <summary>"sqlite" (one file: a single-instance host, the CLI's home) or "table" (Azure Table Storage).</summary>
    public string Store { get; set; } = SqliteStore;

    /// <summary>sqlite: the database file.</summary>
    public string? SqlitePath { get; set; }

    /// <summary>sqlite: open read-only (the CLI's reading commands).</summary>
    public bool SqliteReadOnly { get; set; }

    /// <summary>sqlite: keep connections open between operations (the drill's throwaway store, closed with the run); off by default so no file handle outlives an operation.</summary>
    public bool SqlitePooling { get; set; }

    /// <summary>table: the table service endpoint for identity-based access, e.g. https://ACCOUNT.table.core.windows.net/ (Storage Table Data Contributor).</summary>
    public string? TableEndpoint { get; set; }

    /// <summary>table: a connection string instead of the endpoint (Azurite: UseDevelopmentStorage=true, or an account key).</summary>
    public string? TableConnectionString { get; set; }

    /// <summary>table: the one table holding every trust domain (created on first use).</summary>
    public string TableName { get; set; } = DefaultTableName;

    /// <summary>"local" (encrypted PKCS#8 files) or "keyvault" (Azure Key Vault; a root key never leaves the vault).</summary>
    public string Vault { get; set; } = LocalVault;

    /// <summary>local: the key directory.</summary>
    public string? KeyDirectory { get; set; }

    /// <summary>local: the key directory's passphrase (the hosts read it from their own secret setting, never from a file).</summary>
    public string? KeyPassphrase { get; set; }

    /// <summary>keyvault: https://NAME.vault.azure.net/ (Certificates Officer, Crypto User, Secrets User).</summary>
    public string? KeyVaultUri { get; set; }

    /// <summary>"none" (events stay in the outbox), "eventgrid" (a CloudEvents 1.0 topic) or "webhook" (CloudEvents over HTTP).</summary>
    public string Events { get; set; } = NoEvents;

    /// <summary>eventgrid: the topic endpoint, e.g. https://TOPIC.REGION-1.eventgrid.azure.net/api/events (EventGrid Data Sender).</summary>
    public string? EventGridTopicEndpoint { get; set; }

    /// <summary>eventgrid: a topic access key instead of the identity (topics with local auth on only).</summary>
    public string? EventGridKey { get; set; }

    /// <summary>webhook: the receiver's URL.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>webhook: the sender's DNS name for the abuse-protection handshake.</summary>
    public string WebhookOrigin { get; set; } = "rotation.local";

    /// <summary>The user-assigned managed identity every Azure client uses (AZURE_CLIENT_ID); empty: DefaultAzureCredential.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Whether any adapter chosen talks to Azure with the process's identity.</summary>
    public bool UsesAzureIdentity =>
        (Is(Store, TableStore) && string.IsNullOrWhiteSpace(TableConnectionString))
        || Is(Vault, KeyVault)
        || (Is(Events, EventGridEvents) && string.IsNullOrWhiteSpace(EventGridKey));

    /// <summary>Every problem with the adapter settings, each naming the setting as <paramref name="prefix"/>Name.</summary>
    public IReadOnlyList<string> ValidateAdapters(string prefix)
    {
        var problems = new List<string>();
        if (Is(Store, SqliteStore))
        {
            if (string.IsNullOrWhiteSpace(SqlitePath))
                problems.Add($"{prefix}SqlitePath is missing: set it to the database file (e.g. /home/data/rotation.db)");
        }
        else if (Is(Store, TableStore))
        {
            ValidateTable(prefix, problems);
        }
        else
        {
            problems.Add($"{prefix}Store is '{Store}': use '{SqliteStore}' or '{TableStore}'");
        }

        if (Is(Vault, LocalVault))
        {
            if (string.IsNullOrWhiteSpace(KeyDirectory))
                problems.Add($"{prefix}KeyDirectory is missing: set it to the encrypted key directory");
        }
        else if (Is(Vault, KeyVault))
        {
            if (VaultProblem(KeyVaultUri) is { } problem)
                problems.Add($"{prefix}KeyVaultUri {problem}");
        }
        else
        {
            problems.Add($"{prefix}Vault is '{Vault}': use '{LocalVault}' or '{KeyVault}'");
        }

        if (Is(Events, EventGridEvents))
        {
            if (HttpUrlProblem(EventGridTopicEndpoint, httpsOnly: true) is { } problem)
                problems.Add($"{prefix}EventGridTopicEndpoint {problem}, e.g. https://TOPIC.REGION-1.eventgrid.azure.net/api/events");
        }
        else if (Is(Events, WebhookEvents))
        {
            if (HttpUrlProblem(WebhookUrl, httpsOnly: false) is { } problem)
                problems.Add($"{prefix}WebhookUrl {problem}");
            if (string.IsNullOrWhiteSpace(WebhookOrigin))
                problems.Add($"{prefix}WebhookOrigin is empty: set the sender's DNS name for the webhook handshake");
        }
        else if (!Is(Events, NoEvents))
        {
            problems.Add($"{prefix}Events is '{Events}': use '{NoEvents}', '{EventGridEvents}' or '{WebhookEvents}'");
        }

        return problems;
    }

    public static bool Is(string? value, string kind) => string.Equals(value?.Trim(), kind, StringComparison.OrdinalIgnoreCase);

    private void ValidateTable(string prefix, List<string> problems)
    {
        var hasEndpoint = !string.IsNullOrWhiteSpace(TableEndpoint);
        var hasConnection = !string.IsNullOrWhiteSpace(TableConnectionString);
        if (hasEndpoint == hasConnection)
        {
            problems.Add($"{prefix}Store is '{TableStore}': set exactly one of {prefix}TableEndpoint (https://ACCOUNT.table.core.windows.net/, identity-based) or {prefix}TableConnectionString (Azurite)");
        }
        else if (hasEndpoint && HttpUrlProblem(TableEndpoint, httpsOnly: false) is { } problem)
        {
            problems.Add($"{prefix}TableEndpoint {problem}, e.g. https://ACCOUNT.table.core.windows.net/");
        }
        else if (hasConnection)
        {
            try
            {
                // Parses the connection string without a request.
                _ = new TableServiceClient(TableConnectionString);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                // Never echo it: a connection string may carry the account key.
                problems.Add($"{prefix}TableConnectionString is malformed ({ex.GetType().Name}): use UseDevelopmentStorage=true or DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…;TableEndpoint=…");
            }
        }

        if (TableStoreOptions.TableNameProblem(TableName) is { } nameProblem)
            problems.Add($"{prefix}TableName {nameProblem}");
    }

    private static string? VaultProblem(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return "is missing: set it to https://NAME.vault.azure.net/";
        return !Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(uri.Host)
            || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo)
            ? $"is '{value}': it must be the vault's https URL with nothing after the host, e.g. https://NAME.vault.azure.net/"
            : null;
    }

    private static string? HttpUrlProblem(string? value, bool httpsOnly)
    {
        if (string.IsNullOrWhiteSpace(value))
            return "is missing";
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host)
            || (uri.Scheme != Uri.UriSchemeHttps && (httpsOnly || uri.Scheme != Uri.UriSchemeHttp)))
            return $"is '{value}': it must be an absolute {(httpsOnly ? "https" : "http(s)")} URL";
        return null;
    }
}

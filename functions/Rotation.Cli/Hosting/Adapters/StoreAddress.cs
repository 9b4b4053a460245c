using Azure.Data.Tables;
using Rotation.Infra.AzureTables;

namespace Rotation.Cli;

/// <summary>
/// "sqlite" (the default: HOME/rotation.db), "tables:https://ACCOUNT.table.core.windows.net" (a managed identity or
/// DefaultAzureCredential; Storage Table Data Contributor) or "tables:CONNECTION_STRING" (an account key, or Azurite:
/// "tables:UseDevelopmentStorage=true" or its full DefaultEndpointsProtocol=…;TableEndpoint=… string).
/// </summary>
internal static class StoreAddress
{
    public const string Sqlite = "sqlite";
    public const string TablesScheme = "tables";

    public static void Check(AdapterSetting? setting) => Parse(setting);

    /// <summary>The Table Storage options without a credential (the caller adds it for an endpoint), or null for SQLite.</summary>
    public static TableStoreOptions? Parse(AdapterSetting? setting)
    {
        if (setting is null || setting.Value == Sqlite)
        {
            return null;
        }

        var (scheme, rest) = Addresses.Split(setting.Value);
        if (scheme != TablesScheme)
        {
            throw new UsageException($"{setting.Source} '{Redacted(setting.Value)}': unknown store '{scheme}'; use tables:https://ACCOUNT.table.core.windows.net, tables:CONNECTION_STRING or {Sqlite}");
        }

        if (rest.Contains('=', StringComparison.Ordinal))
        {
            try
            {
                // Parses the connection string without a request (FormatException/ArgumentException when it is malformed).
                _ = new TableServiceClient(rest);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                throw new UsageException($"{setting.Source}: the Table Storage connection string is malformed ({ex.Message.Split('\n')[0]}); write tables:UseDevelopmentStorage=true, tables:DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…;TableEndpoint=… or tables:https://ACCOUNT.table.core.windows.net");
            }

            return new TableStoreOptions { ConnectionString = rest };
        }

        if (!Uri.TryCreate(rest, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp)
            || string.IsNullOrEmpty(endpoint.Host) || !string.IsNullOrEmpty(endpoint.Query))
        {
            throw new UsageException($"{setting.Source} '{setting.Value}': the store is tables:https://ACCOUNT.table.core.windows.net or tables:CONNECTION_STRING");
        }

        return new TableStoreOptions { Endpoint = endpoint };
    }

    // A connection string carries the account key: never echo it.
    private static string Redacted(string value) => value.Contains("AccountKey=", StringComparison.OrdinalIgnoreCase) ? "(connection string)" : value;
}

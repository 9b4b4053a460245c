using System.CommandLine;

namespace Rotation.Cli;

/// <summary>--vault, --store, --events: recursive, so they go anywhere on the command line.</summary>
internal static class AdapterOptions
{
    public const string VaultName = "--vault";
    public const string StoreName = "--store";
    public const string EventsName = "--events";

    public static Option<string?> Vault() => new(VaultName)
    {
        Description = $"Key custody: keyvault:https://NAME.vault.azure.net, or local (HOME/keys, the default); else ${AdapterSettings.VaultVariable}, else HOME/{AdapterSettings.ConfigFileName}",
        Recursive = true,
        HelpName = "VAULT",
    };

    public static Option<string?> Store() => new(StoreName)
    {
        Description = $"State store: tables:https://ACCOUNT.table.core.windows.net, tables:CONNECTION_STRING (Azurite too), or sqlite (HOME/rotation.db, the default); else ${AdapterSettings.StoreVariable}, else HOME/{AdapterSettings.ConfigFileName}",
        Recursive = true,
        HelpName = "STORE",
    };

    public static Option<string?> Events() => new(EventsName)
    {
        Description = $"Event sink for 'events publish' without --to: eventgrid:TOPIC_URL or webhook:URL; else ${AdapterSettings.EventsVariable}, else HOME/{AdapterSettings.ConfigFileName}",
        Recursive = true,
        HelpName = "SINK",
    };

    public static AdapterFlags Read(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var root = parseResult.RootCommandResult.Command;
        string? Value(string name) =>
            root.Options.OfType<Option<string?>>().FirstOrDefault(o => o.Name == name) is { } option ? parseResult.GetValue(option) : null;
        return new AdapterFlags(Value(VaultName), Value(StoreName), Value(EventsName));
    }
}

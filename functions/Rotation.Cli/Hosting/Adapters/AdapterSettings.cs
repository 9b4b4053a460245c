using System.Text.Json;

namespace Rotation.Cli;

/// <summary>One chosen adapter value and where it came from, so an error names the place to fix.</summary>
public sealed record AdapterSetting(string Value, string Source);

/// <summary>The values of --vault, --store and --events on this command line (null when not given).</summary>
public sealed record AdapterFlags(string? Vault, string? Store, string? Events)
{
    public static readonly AdapterFlags None = new(null, null, null);
}

/// <summary>
/// Which custody, store and event sink the CLI uses: the flag, else the environment variable, else the home's
/// configuration file (HOME/rotation.json, {"vault": "...", "store": "...", "events": "..."}), else the embedded
/// default (local key directory, SQLite file, no sink). Flags and variables are checked before any command runs
/// (<see cref="ValidateFlagsAndEnvironment"/>); the file when the home is opened, before the command touches anything.
/// </summary>
public sealed class AdapterSettings
{
    public const string VaultVariable = "ROTATION_VAULT";
    public const string StoreVariable = "ROTATION_STORE";
    public const string EventsVariable = "ROTATION_EVENTS";
    public const string ConfigFileName = "rotation.json";

    private AdapterSettings(AdapterSetting? vault, AdapterSetting? store, AdapterSetting? events)
    {
        Vault = vault;
        Store = store;
        Events = events;
    }

    public AdapterSetting? Vault { get; }
    public AdapterSetting? Store { get; }
    public AdapterSetting? Events { get; }

    public static void ValidateFlagsAndEnvironment(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        VaultAddress.Check(Pick(context.Flags.Vault, "--vault", context, VaultVariable));
        StoreAddress.Check(Pick(context.Flags.Store, "--store", context, StoreVariable));
        EventSinkAddress.Check(Pick(context.Flags.Events, "--events", context, EventsVariable));
    }

    /// <summary>Flags only, for a command that must not be redirected by the environment or a home's file (the drill).</summary>
    public static void ValidateFlags(CliContext context) => FromFlags(context);

    /// <summary>
    /// The adapters this command line's flags choose, ignoring ROTATION_VAULT/STORE/EVENTS and HOME/rotation.json: the
    /// drill rotates whatever it runs on, so only an explicit flag may point it at a real vault or store.
    /// </summary>
    public static AdapterSettings FromFlags(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = new AdapterSettings(
            Flag(context.Flags.Vault, "--vault"),
            Flag(context.Flags.Store, "--store"),
            Flag(context.Flags.Events, "--events"));
        VaultAddress.Check(settings.Vault);
        StoreAddress.Check(settings.Store);
        EventSinkAddress.Check(settings.Events);
        return settings;
    }

    public static AdapterSettings Resolve(CliContext context, string home)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = ConfigFile.Read(Path.Combine(home, ConfigFileName));
        var settings = new AdapterSettings(
            Pick(context.Flags.Vault, "--vault", context, VaultVariable) ?? file.Get("vault"),
            Pick(context.Flags.Store, "--store", context, StoreVariable) ?? file.Get("store"),
            Pick(context.Flags.Events, "--events", context, EventsVariable) ?? file.Get("events"));
        VaultAddress.Check(settings.Vault);
        StoreAddress.Check(settings.Store);
        EventSinkAddress.Check(settings.Events);
        return settings;
    }

    private static AdapterSetting? Flag(string? flag, string flagName) =>
        !string.IsNullOrWhiteSpace(flag) ? new AdapterSetting(flag.Trim(), flagName) : null;

    private static AdapterSetting? Pick(string? flag, string flagName, CliContext context, string variable) =>
        !string.IsNullOrWhiteSpace(flag) ? new AdapterSetting(flag.Trim(), flagName)
        : context.Environment(variable) is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? new AdapterSetting(value.Trim(), variable)
        : null;

    /// <summary>HOME/rotation.json: a JSON object of strings; a missing file is an empty one.</summary>
    private sealed class ConfigFile(string path, Dictionary<string, string> values)
    {
        private static readonly string[] Known = ["vault", "store", "events"];

        public AdapterSetting? Get(string key) =>
            values.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? new AdapterSetting(value.Trim(), $"{path} \"{key}\"") : null;

        public static ConfigFile Read(string path)
        {
            if (!File.Exists(path))
            {
                return new ConfigFile(path, []);
            }

            Dictionary<string, string>? values;
            try
            {
                values = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path));
            }
            catch (JsonException ex)
            {
                throw new UsageException($"{path} is not a JSON object of strings ({ex.Message.Split('\n')[0]}): write e.g. {{\"vault\": \"keyvault:https://NAME.vault.azure.net\", \"store\": \"tables:https://ACCOUNT.table.core.windows.net\"}}");
            }

            values ??= [];
            if (values.Keys.FirstOrDefault(k => !Known.Contains(k, StringComparer.Ordinal)) is { } unknown)
            {
                throw new UsageException($"{path}: unknown setting \"{unknown}\"; the settings are \"vault\", \"store\" and \"events\"");
            }

            return new ConfigFile(path, values);
        }
    }
}

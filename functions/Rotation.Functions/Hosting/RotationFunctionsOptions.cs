using System.Text.RegularExpressions;

namespace Rotation.Functions.Hosting;

/// <summary>
/// The Functions host's settings (section "Rotation"; app settings spell it Rotation__Name). Bound and validated
/// when the host starts: every problem is listed at once, and the host does not start with any of them.
/// </summary>
public sealed partial class RotationFunctionsOptions
{
    public const string SectionName = "Rotation";

    /// <summary>Which state store: "sqlite" (one file; a single-instance host or a test). "table" (Azure Table Storage) arrives with the Azure adapters.</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>sqlite: the database file.</summary>
    public string? SqlitePath { get; set; }

    /// <summary>Which key custody: "local" (encrypted PKCS#8 files). "keyvault" arrives with the Azure adapters.</summary>
    public string Vault { get; set; } = "local";

    /// <summary>local: the key directory.</summary>
    public string? KeyDirectory { get; set; }

    /// <summary>local: the name of the app setting holding the key directory's passphrase (a Key Vault reference in Azure).</summary>
    public string KeyPassphraseSetting { get; set; } = "ROTATION_VAULT_PASSPHRASE";

    /// <summary>How many clusters a phase step talks to at once.</summary>
    public int MaxClusterParallelism { get; set; } = 16;

    /// <summary>The longest any orchestration wait lasts before the record is re-read (bounds how late a lost approval or abort event is noticed).</summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The ExpiryScan timer's NCRONTAB schedule (six fields). The trigger reads it from the app setting <c>ExpiryScanSchedule</c>.</summary>
    public string ExpiryScanSchedule { get; set; } = "0 0 * * * *";

    /// <summary>Domains whose intermediate the ExpiryScan may rotate on its own when the policy says it is due. Roots always wait for a person.</summary>
    public IList<string> AutoRotateIntermediates { get; } = [];

    /// <summary>Queue that Event Grid delivers Key Vault and Rotation events to (CloudEvents schema).</summary>
    public const string EventQueueName = "rotation-events";

    /// <summary>Connection name of that queue (identity-based: EventQueue__queueServiceUri).</summary>
    public const string EventQueueConnection = "EventQueue";

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!string.Equals(Store, "sqlite", StringComparison.OrdinalIgnoreCase))
            problems.Add($"{SectionName}:Store is '{Store}': only 'sqlite' is built in this host yet (Table Storage comes with the Azure adapters)");
        else if (string.IsNullOrWhiteSpace(SqlitePath))
            problems.Add($"{SectionName}:SqlitePath is missing: set it to the database file (e.g. /home/data/rotation.db)");
        if (!string.Equals(Vault, "local", StringComparison.OrdinalIgnoreCase))
            problems.Add($"{SectionName}:Vault is '{Vault}': only 'local' is built in this host yet (Key Vault custody comes with the Azure adapters)");
        else if (string.IsNullOrWhiteSpace(KeyDirectory))
            problems.Add($"{SectionName}:KeyDirectory is missing: set it to the encrypted key directory");
        if (MaxClusterParallelism is < 1 or > 256)
            problems.Add($"{SectionName}:MaxClusterParallelism is {MaxClusterParallelism}: it must be between 1 and 256 (default 16)");
        if (RecheckInterval < TimeSpan.FromSeconds(1) || RecheckInterval > TimeSpan.FromDays(1))
            problems.Add($"{SectionName}:RecheckInterval is {RecheckInterval}: it must be between 00:00:01 and 1.00:00:00 (default 00:15:00)");
        if (string.IsNullOrWhiteSpace(ExpiryScanSchedule) || !SixFieldCron().IsMatch(ExpiryScanSchedule.Trim()))
            problems.Add($"ExpiryScanSchedule is '{ExpiryScanSchedule}': it must be a six-field NCRONTAB expression such as '0 0 * * * *' (hourly)");
        foreach (var domain in AutoRotateIntermediates.Where(string.IsNullOrWhiteSpace))
            problems.Add($"{SectionName}:AutoRotateIntermediates has an empty entry '{domain}': list trust domain names");
        return problems;
    }

    [GeneratedRegex(@"^\S+(\s+\S+){5}$")]
    private static partial Regex SixFieldCron();
}

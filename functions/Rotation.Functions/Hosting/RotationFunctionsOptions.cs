using System.Text.RegularExpressions;
using Rotation.Infra.Composition;

namespace Rotation.Functions.Hosting;

/// <summary>
/// The Functions host's settings (section "Rotation"; app settings spell it Rotation__Name). Bound and validated
/// when the host starts: every problem is listed at once, and the host does not start with any of them. The adapter
/// settings (Store, Vault, Events and where they are) are the shape the CLI fills too (<see cref="RotationAdapterSettings"/>).
/// </summary>
public sealed partial class RotationFunctionsOptions : RotationAdapterSettings
{
    public const string SectionName = "Rotation";

    /// <summary>local vault: the name of the app setting holding the key directory's passphrase (a Key Vault reference in Azure).</summary>
    public string KeyPassphraseSetting { get; set; } = "ROTATION_VAULT_PASSPHRASE";

    /// <summary>The app setting naming the user-assigned identity every Azure client uses (the Functions convention).</summary>
    public const string ClientIdSetting = "AZURE_CLIENT_ID";

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
        problems.AddRange(ValidateAdapters($"{SectionName}:"));
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

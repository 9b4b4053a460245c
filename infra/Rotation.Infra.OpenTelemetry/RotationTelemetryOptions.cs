namespace Rotation.Infra.OpenTelemetry;

/// <summary>
/// Metrics export of the Functions host (section "Rotation:Telemetry"). Azure Monitor export is on when
/// APPLICATIONINSIGHTS_CONNECTION_STRING is set, as the Bicep deployment does; with Entra-only ingestion
/// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING "ClientId=…;Authorization=AAD") the exporter authenticates as that
/// managed identity.
/// </summary>
public sealed class RotationTelemetryOptions
{
    public const string SectionName = "Rotation:Telemetry";
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>How often the store is read into the meter's snapshot. Azure Monitor's reader exports every 60 s.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    public string? ConnectionString { get; set; }

    public string? AuthenticationString { get; set; }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (RefreshInterval < TimeSpan.FromSeconds(5) || RefreshInterval > TimeSpan.FromHours(1))
            problems.Add($"{SectionName}:RefreshInterval is {RefreshInterval}: it must be between 00:00:05 and 01:00:00 (default 00:01:00)");
        if (AuthenticationString is { Length: > 0 } auth && EntraAuthentication.TryParse(auth, out _) is false)
            problems.Add($"{AuthenticationStringSetting} is '{auth}': it must be 'Authorization=AAD' or 'ClientId=<managed identity client id>;Authorization=AAD'");
        if (AuthenticationString is { Length: > 0 } && string.IsNullOrWhiteSpace(ConnectionString))
            problems.Add($"{AuthenticationStringSetting} is set but {ConnectionStringSetting} is not: set both, or neither to export no metrics");
        return problems;
    }
}

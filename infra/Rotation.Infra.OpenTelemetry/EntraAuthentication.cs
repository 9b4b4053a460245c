namespace Rotation.Infra.OpenTelemetry;

/// <summary>
/// APPLICATIONINSIGHTS_AUTHENTICATION_STRING, the setting Azure Functions documents for Entra-authenticated
/// Application Insights ingestion: "Authorization=AAD" (system-assigned identity) or
/// "ClientId=&lt;client id&gt;;Authorization=AAD" (user-assigned). The OpenTelemetry exporter does not read it, so the
/// host does, and hands the exporter that identity's credential.
/// </summary>
public static class EntraAuthentication
{
    /// <summary>True for a valid string; <paramref name="clientId"/> is null for the system-assigned identity.</summary>
    public static bool TryParse(string value, out string? clientId)
    {
        clientId = null;
        var authorization = false;
        foreach (var part in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || pair[1].Length == 0)
                return false;
            if (pair[0].Equals("Authorization", StringComparison.OrdinalIgnoreCase) && pair[1].Equals("AAD", StringComparison.OrdinalIgnoreCase))
                authorization = true;
            else if (pair[0].Equals("ClientId", StringComparison.OrdinalIgnoreCase))
                clientId = pair[1];
            else
                return false;
        }

        return authorization;
    }
}

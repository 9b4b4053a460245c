using System.Globalization;
using System.Text.Json;
using System.Xml;
using Rotation.Core.Events;
using Rotation.Core.Expiry;

namespace Rotation.Core.Authorities;

/// <summary>The CloudEvents an expiry scan publishes about one CA.</summary>
public static class ExpiryEvents
{
    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web);

    public static IEnumerable<CloudEvent> For(CaInventoryRow row, DateTimeOffset at)
    {
        switch (row.ExpiryState)
        {
            case ExpiryState.Expired:
                yield return Create(row, EventTypes.CertificateExpired, at);
                break;
            case ExpiryState.Warning or ExpiryState.Critical:
                yield return Create(row, EventTypes.CertificateNearExpiry, at);
                break;
        }

        if (row.RotationDue)
        {
            yield return Create(row, EventTypes.RotationDue, at);
        }
    }

    public static string SourceFor(string domain) => $"/rotation/domains/{domain}";

    private static CloudEvent Create(CaInventoryRow row, string type, DateTimeOffset at)
    {
        var state = StateName(row.ExpiryState);
        var day = at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var data = new ExpiryEventData(
            row.Domain,
            row.Id,
            row.Role.ToString().ToLowerInvariant(),
            row.Subject,
            row.NotAfter,
            state,
            Math.Round(row.LifetimeLeftPercent, 2),
            XmlConvert.ToString(row.TimeLeft),
            row.Sha256);
        return new CloudEvent(
            EventIds.From(row.Sha256, type, state, day),
            SourceFor(row.Domain),
            type,
            at,
            $"authorities/{row.Id}",
            JsonSerializer.SerializeToElement(data, DataJson));
    }

    /// <summary>The lowercase spelling used in events and JSON output ("ok", "warning", ...).</summary>
    public static string StateName(ExpiryState state) => state.ToString().ToLowerInvariant();

    /// <summary>The data of an expiry event; timeLeft is an ISO 8601 duration, negative once expired.</summary>
    private sealed record ExpiryEventData(
        string Domain,
        string CaId,
        string Role,
        string Subject,
        DateTimeOffset NotAfter,
        string ExpiryState,
        double LifetimeLeftPercent,
        string TimeLeft,
        string Sha256);
}

using System.Globalization;
using System.Text.Json;
using System.Xml;
using Rotation.Core.Authorities.External;
using Rotation.Core.Events;
using Rotation.Core.Expiry;
using Rotation.Core.Metrics;

namespace Rotation.Core.Authorities;

/// <summary>The CloudEvents an expiry scan publishes about one CA.</summary>
public static class ExpiryEvents
{
    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web);

    public static IEnumerable<CloudEvent> For(CaInventoryRow row, DateTimeOffset at) =>
        TypesFor(row.ExpiryState, row.RotationDue).Select(type => Create(row, type, at));

    /// <summary>
    /// The same events for a certificate Rotation does not manage (a bundle file, an object in a cluster): the source
    /// is the cluster (or "/rotation/bundles"), the subject names the cluster and object, and the data carries the layer.
    /// </summary>
    public static IEnumerable<CloudEvent> For(ExternalCertificateRow row, DateTimeOffset at) =>
        TypesFor(row.Assessment.State, row.Assessment.RotationDue).Select(type => Create(row, type, at));

    private static IEnumerable<string> TypesFor(ExpiryState state, bool rotationDue)
    {
        switch (state)
        {
            case ExpiryState.Expired:
                yield return EventTypes.CertificateExpired;
                break;
            case ExpiryState.Warning or ExpiryState.Critical:
                yield return EventTypes.CertificateNearExpiry;
                break;
        }

        if (rotationDue)
        {
            yield return EventTypes.RotationDue;
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
            ExpiryPolicy.LayerOf(row.Role).ToLabel(),
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

    private static CloudEvent Create(ExternalCertificateRow row, string type, DateTimeOffset at)
    {
        var state = StateName(row.Assessment.State);
        var day = at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var certificate = row.Certificate;
        var data = new ExternalExpiryEventData(
            row.Scope.Domain,
            row.Scope.Cluster,
            row.Location,
            row.Layer.ToLabel(),
            certificate.Subject,
            certificate.Issuer,
            certificate.NotAfter,
            state,
            Math.Round(row.Assessment.LifetimeLeftFraction * 100, 2),
            XmlConvert.ToString(TimeSpan.FromSeconds(Math.Truncate(row.Assessment.TimeLeft.TotalSeconds))),
            certificate.Sha256);
        // The object is part of the id: the same root in two ConfigMaps is two things to fix.
        return new CloudEvent(
            EventIds.From(certificate.Sha256, type, state, day, row.Subject),
            row.Scope.Source,
            type,
            at,
            row.Subject,
            JsonSerializer.SerializeToElement(data, DataJson));
    }

    /// <summary>The lowercase spelling used in events and JSON output ("ok", "warning", ...).</summary>
    public static string StateName(ExpiryState state) => state.ToString().ToLowerInvariant();

    /// <summary>
    /// The data of an expiry event; timeLeft is an ISO 8601 duration, negative once expired. Layer is the policy layer
    /// the CA is judged as (as in external scans), so one Event Grid filter on data.layer serves both kinds of event.
    /// </summary>
    private sealed record ExpiryEventData(
        string Domain,
        string CaId,
        string Role,
        string Layer,
        string Subject,
        DateTimeOffset NotAfter,
        string ExpiryState,
        double LifetimeLeftPercent,
        string TimeLeft,
        string Sha256);

    /// <summary>The data of an expiry event about an external certificate; object is where it was read.</summary>
    private sealed record ExternalExpiryEventData(
        string? Domain,
        string? Cluster,
        string Object,
        string Layer,
        string Subject,
        string Issuer,
        DateTimeOffset NotAfter,
        string ExpiryState,
        double LifetimeLeftPercent,
        string TimeLeft,
        string Sha256);
}

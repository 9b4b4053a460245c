namespace Rotation.Core.Events;

/// <summary>Reads the trust domain back out of an event's source, "/rotation/domains/{domain}[/...]" (ExpiryEvents.SourceFor, RotationEvents).</summary>
public static class EventSources
{
    private const string Prefix = "/rotation/domains/";

    /// <summary>The domain the event belongs to; null for events of no domain (a bundle scan, a receipt).</summary>
    public static string? DomainOf(CloudEvent cloudEvent)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        if (!cloudEvent.Source.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = cloudEvent.Source[Prefix.Length..];
        var end = rest.IndexOf('/', StringComparison.Ordinal);
        return end < 0 ? rest : rest[..end];
    }
}

using System.Net;
using Rotation.Core.Ports;

namespace Rotation.Infra.Events;

/// <summary>HTTP status to publisher decision, shared by both sinks (Event Grid's publish errors: 400, 401/403, 404, 413, 429, 5xx).</summary>
internal static class DeliveryStatus
{
    public static EventDeliveryFailure Classify(int status) => status switch
    {
        400 or 413 or 415 or 422 => EventDeliveryFailure.Rejected,
        401 or 403 or 404 or 405 => EventDeliveryFailure.Refused,
        _ => EventDeliveryFailure.Transient,
    };

    public static string Describe(int status) => status == 0 ? "no response" : $"{status} {(HttpStatusCode)status}";

    /// <summary>Retry-After as delta-seconds or an HTTP date.</summary>
    public static TimeSpan? RetryAfter(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) && at > now
            ? at - now
            : null;
    }
}

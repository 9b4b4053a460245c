using System.Globalization;
using System.Text.Json.Nodes;
using static Rotation.Infra.Kubernetes.Targets.CustomObjects;

namespace Rotation.Infra.Kubernetes.Targets.CertManager;

/// <summary>
/// How a Certificate's issuance stands, read from its status as cert-manager writes it (cert-manager/cert-manager
/// 2d0d7f7f): Issuing=True while an issuance runs; after a failed CertificateRequest Issuing=False with
/// status.lastFailureTime and status.failedIssuanceAttempts (failIssueCertificate in
/// pkg/controller/certificates/issuing/issuing_controller.go), and the trigger controller then waits
/// 1h * 2^(attempts-1), at most 32h, before trying again (shouldBackoffReissuingOnFailure in
/// pkg/controller/certificates/trigger/trigger_controller.go, defaults in
/// internal/apis/config/controller/v1alpha1/defaults.go). A manual trigger (cmctl renew) does not wait.
/// </summary>
internal static class CertManagerReissue
{
    /// <summary>The message `cmctl renew` writes (pkg/renew/renew.go, cert-manager/cmctl 9f4f891); Rotation writes the same.</summary>
    public const string ManualMessage = "Certificate re-issuance manually triggered";

    private static readonly TimeSpan MinimumBackoff = TimeSpan.FromHours(1);
    private static readonly TimeSpan MaximumBackoff = TimeSpan.FromHours(32);

    public static bool IsIssuing(JsonObject certificate) => Str(Condition(certificate, "Issuing"), "status") == "True";

    /// <summary>Issuing=True as Rotation (or cmctl renew) set it: reason ManuallyTriggered with cmctl's message.</summary>
    public static bool TriggeredByRotation(JsonObject certificate) =>
        IsIssuing(certificate)
        && Str(Condition(certificate, "Issuing"), "reason") == CertManagerCaIssuerTarget.RenewReason
        && Str(Condition(certificate, "Issuing"), "message") == ManualMessage;

    /// <summary>When cert-manager itself retries a failed Certificate, or null when it has not failed.</summary>
    public static DateTimeOffset? RetryAt(JsonObject certificate)
    {
        if (!DateTimeOffset.TryParse(Str(certificate, "status", "lastFailureTime"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var failedAt))
            return null;
        var attempts = Long(certificate, "status", "failedIssuanceAttempts") ?? 1;
        var delay = attempts <= 1 ? MinimumBackoff : MinimumBackoff * Math.Pow(2, Math.Min(attempts - 1, 30));
        return failedAt + (delay > MaximumBackoff ? MaximumBackoff : delay);
    }

    /// <summary>What holds this Certificate's leaf back, or null when nothing visible does.</summary>
    public static string? Problem(JsonObject certificate)
    {
        var issuing = Condition(certificate, "Issuing");
        if (IsIssuing(certificate))
            return $"issuing: {Str(issuing, "reason")}";
        if (RetryAt(certificate) is { } retry)
        {
            return $"issuance failed ({Str(issuing, "reason") ?? "Failed"}: {Str(issuing, "message")}), attempt {Long(certificate, "status", "failedIssuanceAttempts") ?? 1}; "
                + $"cert-manager retries after its backoff at {retry:u}, or now with `cmctl renew`";
        }

        return null;
    }

    public static string Describe(JsonObject certificate) => Problem(certificate) ?? "no issuance under way";
}

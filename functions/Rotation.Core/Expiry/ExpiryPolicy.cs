using Rotation.Core.Domain;

namespace Rotation.Core.Expiry;

/// <summary>Classifies a certificate's remaining life per layer. Pure: the caller supplies "now".</summary>
public static class ExpiryPolicy
{
    public static ExpiryAssessment Assess(CertificateLayer layer, DateTimeOffset notBefore, DateTimeOffset notAfter, DateTimeOffset now, ExpiryPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (notAfter <= notBefore)
        {
            throw new DomainException($"notAfter {notAfter:u} is not after notBefore {notBefore:u}: a certificate must have a positive lifetime");
        }

        var timeLeft = notAfter - now;
        var fraction = Math.Clamp(timeLeft.Ticks / (double)(notAfter - notBefore).Ticks, 0.0, 1.0);
        var thresholds = options.For(layer);
        var state = now >= notAfter ? ExpiryState.Expired
            : timeLeft <= thresholds.Critical ? ExpiryState.Critical
            : timeLeft <= thresholds.Warning ? ExpiryState.Warning
            : ExpiryState.Ok;

        // Workload leaves renew themselves; rotation is a CA-level act.
        var rotationDue = layer != CertificateLayer.Workload && fraction <= options.RotationDueFraction;
        return new ExpiryAssessment(state, timeLeft, fraction, rotationDue);
    }

    public static ExpiryAssessment Assess(CertificateLayer layer, Pki.Certificate certificate, DateTimeOffset now, ExpiryPolicyOptions options) =>
        Assess(layer, certificate.NotBefore, certificate.NotAfter, now, options);

    /// <summary>
    /// The layer a domain CA is judged as. Our intermediates sign workload leaves directly (there is no CA in between),
    /// so they get the issuing-CA thresholds: a lapse stops every leaf renewal within one leaf TTL, far sooner than a
    /// mid-tier intermediate would hurt.
    /// </summary>
    public static CertificateLayer LayerOf(CaRole role) => role switch
    {
        CaRole.Root => CertificateLayer.Root,
        CaRole.Intermediate => CertificateLayer.IssuingCa,
        _ => throw new DomainException($"unknown CA role '{role}': use Root or Intermediate"),
    };

    public static CertificateLayer LayerOf(this CertificateAuthority ca) => LayerOf(ca.Role);
}

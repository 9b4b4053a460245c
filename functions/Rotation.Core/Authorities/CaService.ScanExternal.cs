using Rotation.Core.Authorities.External;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Expiry;
using Rotation.Core.Ports;

namespace Rotation.Core.Authorities;

public sealed partial class CaService
{
    /// <summary>
    /// Judges certificates Rotation does not manage (read from a bundle file or a cluster) by the expiry policy, each
    /// as the layer <see cref="CertificateLayers"/> gives it, and appends the same events as <see cref="ScanAsync"/>
    /// to the outbox. Adopts nothing: the only write is the events (deterministic ids, so a re-scan the same day adds
    /// nothing). Rows come back in the order found, for every certificate, whether or not it needs attention.
    /// </summary>
    public async Task<ExternalScanResult> ScanExternalAsync(
        ExternalScope scope,
        IReadOnlyList<FoundCertificate> found,
        IReadOnlyList<string> problems,
        DateTimeOffset at,
        ExpiryPolicyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ExpiryPolicyOptions();
        if (found.Count == 0)
            throw new DomainException(problems.Count > 0
                ? $"no certificate could be read: {problems[0]}"
                : "no certificate found to scan: pass a PEM bundle file (--bundle) or a cluster whose targets hold CA material (--cluster)");

        var layers = CertificateLayers.Classify(found.Select(f => f.Certificate));
        var rows = found
            .DistinctBy(f => (f.Location, f.Certificate.Sha256))
            .Select(f =>
            {
                var layer = layers[f.Certificate.Sha256];
                return new ExternalCertificateRow(scope, f.Location, layer, f.Certificate, ExpiryPolicy.Assess(layer, f.Certificate, at, options));
            })
            .ToList();
        var events = rows.SelectMany(r => ExpiryEvents.For(r, at)).ToList();
        if (events.Count > 0)
            await _store.CommitAsync(new ChangeSet { Events = events }, cancellationToken);
        return new ExternalScanResult(rows, problems, events);
    }
}

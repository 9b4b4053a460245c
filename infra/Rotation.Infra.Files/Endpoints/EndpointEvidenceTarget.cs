using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Infra.Files.Endpoints;

/// <summary>
/// Adds endpoint evidence to any target. Writes and preflight are the inner target's. For the gates:
/// <list type="bullet">
/// <item>Trust: every endpoint is one more trust store. Per root of the domain Rotation opens a real handshake
/// presenting a throwaway leaf from an intermediate under that root; the roots whose leaf the endpoint accepted are
/// what it holds. An endpoint that cannot be reached, or whose answer does not say (a 5xx, a close without an alert),
/// makes the target unavailable with the endpoint's name and the error, so the gate holds: never a guess.</item>
/// <item>Leaves: the chain each endpoint serves. With <see cref="LeafEvidenceMode.Endpoints"/> that is the leaf
/// evidence; with <see cref="LeafEvidenceMode.Time"/> the inner target's evidence (or its time rule) decides, and the
/// served chains are added so the engine refuses to drop a root a served leaf still chains to.</item>
/// </list>
/// </summary>
public sealed class EndpointEvidenceTarget : IRotationTarget
{
    private readonly IRotationTarget _inner;
    private readonly EndpointEvidenceOptions _options;
    private readonly IProbeIssuers _issuers;
    private readonly EndpointProber _prober;
    private readonly string _domain;
    private readonly TimeProvider _time;

    public EndpointEvidenceTarget(IRotationTarget inner, EndpointEvidenceOptions options, IProbeIssuers issuers, string domain, EndpointProber? prober = null, TimeProvider? time = null)
    {
        _inner = inner;
        _options = options;
        _issuers = issuers;
        _domain = domain;
        _prober = prober ?? new EndpointProber();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The target with endpoint evidence when <paramref name="options"/> lists endpoints, else the target itself.</summary>
    public static IRotationTarget Wrap(IRotationTarget inner, EndpointEvidenceOptions options, IProbeIssuers issuers, string domain, EndpointProber? prober = null, TimeProvider? time = null) =>
        options.Endpoints.Count == 0 ? inner : new EndpointEvidenceTarget(inner, options, issuers, domain, prober, time);

    public string Name => _inner.Name;

    public IRotationTarget Inner => _inner;

    public Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default) => _inner.PreflightAsync(kind, cancellationToken);

    public Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default) =>
        _inner.ApplyTrustBundleAsync(bundle, context, cancellationToken);

    public Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default) =>
        _inner.ApplyIssuerAsync(issuer, context, cancellationToken);

    /// <summary>What the inner target's objects hold: endpoints are evidence, not something Rotation writes.</summary>
    public Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default) => _inner.ReadContentAsync(cancellationToken);

    public async Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        var inner = await _inner.ReportTrustAsync(cancellationToken);
        var issuers = await LoadIssuersAsync(cancellationToken);
        var stores = new List<TrustStoreObservation>(inner.Stores);
        foreach (var endpoint in _options.Endpoints)
        {
            var trusted = new HashSet<string>(StringComparer.Ordinal);
            var refused = new List<string>();
            foreach (var issuer in issuers)
            {
                var outcome = await _prober.ProbeAsync(endpoint, ProbeLeaf.Create(issuer, _domain, _time.GetUtcNow()), cancellationToken);
                switch (outcome.Verdict)
                {
                    case ProbeVerdict.Accepted:
                        trusted.Add(issuer.Root.Sha256);
                        break;
                    case ProbeVerdict.Refused:
                        refused.Add($"{issuer.Root.Id} refused: {outcome.Detail}");
                        break;
                    case ProbeVerdict.Unreachable:
                        throw new TargetUnavailableException(Name, $"endpoint {endpoint} unreachable: {outcome.Detail}");
                    default:
                        throw new TargetUnavailableException(Name, $"endpoint {endpoint}: cannot tell whether it trusts {issuer.Root.Id}: {outcome.Detail}");
                }
            }

            var location = refused.Count == 0 ? $"endpoint {endpoint}" : $"endpoint {endpoint} ({string.Join("; ", refused)})";
            stores.Add(new TrustStoreObservation(location, trusted));
        }

        return new TrustReport(inner.Target, stores);
    }

    public async Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default)
    {
        var inner = await _inner.ReportLeavesAsync(cancellationToken);
        var issuers = await LoadIssuersAsync(cancellationToken);
        var identity = issuers.FirstOrDefault(i => i.Intermediate.Status == Core.Domain.CaStatus.Active) ?? (issuers.Count > 0 ? issuers[0] : null);
        var served = new List<LeafObservation>();
        foreach (var endpoint in _options.Endpoints)
        {
            var outcome = await _prober.ProbeAsync(endpoint, identity is null ? null : ProbeLeaf.Create(identity, _domain, _time.GetUtcNow()), cancellationToken);
            if (outcome.ServedLeaf is null)
                throw new TargetUnavailableException(Name, $"endpoint {endpoint} served no certificate: {outcome.Detail}");
            served.Add(new LeafObservation($"endpoint {endpoint}", outcome.ServedLeaf, outcome.ServedIntermediates));
        }

        return _options.LeafEvidence == LeafEvidenceMode.Endpoints
            ? new LeafReport(inner.Target, true, [.. (inner.Observable ? inner.Leaves : []), .. served])
            : inner with { Leaves = [.. inner.Leaves, .. served], Note = $"{inner.Note}; chains served by {served.Count} endpoint(s) are checked before a root is dropped" };
    }

    private async Task<IReadOnlyList<ProbeIssuer>> LoadIssuersAsync(CancellationToken cancellationToken)
    {
        var issuers = await _issuers.LoadAsync(cancellationToken);
        return issuers.Count > 0
            ? issuers
            : throw new TargetUnavailableException(Name, $"no intermediate of domain '{_domain}' can sign a probe leaf, so no endpoint can be checked");
    }
}

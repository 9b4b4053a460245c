using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Expiry;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Metrics;

/// <summary>Reads an <see cref="EstateMetrics"/> from the store. Reads only: a scrape never changes state.</summary>
public sealed class EstateMetricsReader
{
    private readonly IStateStore _store;
    private readonly TimeProvider _time;
    private readonly ExpiryPolicyOptions _policy;

    public EstateMetricsReader(IStateStore store, TimeProvider time, ExpiryPolicyOptions? policy = null)
    {
        _store = store;
        _time = time;
        _policy = policy ?? new ExpiryPolicyOptions();
        _policy.Validate();
    }

    public async Task<EstateMetrics> ReadAsync(string? domain = null, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var authorities = new List<CaExpirySample>();
        foreach (var trustDomain in await SelectDomainsAsync(domain, cancellationToken))
        {
            foreach (var ca in await _store.ListAuthoritiesAsync(trustDomain.Name, cancellationToken))
            {
                // A retired CA is trusted nowhere; its expiry is history, not a risk, and alerting on it would page for nothing.
                if (ca.Status == CaStatus.Retired)
                {
                    continue;
                }

                var layer = ca.LayerOf();
                var assessment = ExpiryPolicy.Assess(layer, ca.Certificate, now, _policy);
                authorities.Add(new CaExpirySample(
                    ca.Domain, layer, ca.Id, Cluster: string.Empty, ca.Status.ToString().ToLowerInvariant(),
                    ca.NotAfter, assessment.LifetimeLeftFraction, assessment.State));
            }
        }

        var rotations = (await _store.ListRotationsAsync(domain, cancellationToken))
            .Where(r => r.IsActive && r.CurrentPhase is not null)
            .Select(r => Sample(r, now))
            .ToList();

        var pending = await _store.ReadOutboxAsync(unpublishedOnly: true, cancellationToken: cancellationToken);
        var oldest = pending.Count == 0 ? TimeSpan.Zero : NonNegative(now - pending.Min(e => e.Event.Time));
        return new EstateMetrics(now, authorities, rotations, new OutboxSample(pending.Count, oldest));
    }

    private async Task<IReadOnlyList<TrustDomain>> SelectDomainsAsync(string? domain, CancellationToken cancellationToken)
    {
        if (domain is null)
        {
            return await _store.ListDomainsAsync(cancellationToken);
        }

        return await _store.FindDomainAsync(domain, cancellationToken) is { } found
            ? [found]
            : throw new DomainException($"unknown trust domain '{domain}': run 'rotation inventory' to see the domains this home holds");
    }

    private static RotationSample Sample(RotationRecord record, DateTimeOffset now)
    {
        var phase = record.CurrentPhase!.Value;
        var phaseStarted = record.PhaseStartedAt ?? record.CreatedAt;
        return new RotationSample(record.Domain, record.Id, record.Kind, phase, NonNegative(now - phaseStarted), Hold(record, phase, phaseStarted, now));
    }

    private static GateHold? Hold(RotationRecord record, RotationPhase phase, DateTimeOffset phaseStarted, DateTimeOffset now)
    {
        // The decider is the one place that knows whether a phase waits for a human.
        if (RotationDecider.Decide(record, now) is RotationDecision.AwaitApproval)
        {
            return new GateHold(GateHoldReason.AwaitingApproval, NonNegative(now - phaseStarted), NextCheckAt: null);
        }

        if (record.Gate is not { } gate || gate.Phase != phase)
        {
            return null;
        }

        // The gate has held since its first GateBlocked in this phase; later entries only record a changed reason.
        var since = record.Audit
            .Where(a => a.Event == EventTypes.GateBlocked && a.Phase == phase && a.At >= phaseStarted)
            .Select(a => (DateTimeOffset?)a.At)
            .Min() ?? phaseStarted;
        return new GateHold(GateHoldReasons.Classify(phase, gate.Reason), NonNegative(now - since), gate.NextCheckAt);
    }

    private static TimeSpan NonNegative(TimeSpan span) => span < TimeSpan.Zero ? TimeSpan.Zero : span;
}

using System.Diagnostics;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Functions.Orchestrations;
using Rotation.Functions.Tests.Support;

namespace Rotation.Functions.Tests;

/// <summary>
/// A wait ends on its timer or on a change of the record: an abort raised during a 25 h leaf wait (targets that
/// cannot show their leaves, so only the time rule releases the gate) wakes it at once, with a 10-minute recheck
/// interval so the timer cannot be what ends it.
/// </summary>
public sealed class LeafWaitAbortTests
{
    [Fact]
    public async Task An_abort_during_a_25_hour_leaf_wait_wakes_it_at_once()
    {
        await using var harness = await FunctionsHarness.StartAsync(recheck: TimeSpan.FromMinutes(10), seenAs: inner => new HiddenLeaves(inner));
        var policy = FunctionsHarness.Policy with { MaxLeafTtl = TimeSpan.FromHours(24), LeafGrace = TimeSpan.FromHours(1), ApprovalRequiredFor = [] };
        var started = await harness.StartRotationAsync(RotationKind.Intermediate, policy);
        var waiting = await harness.WaitForRecordAsync(started.Id, r => r.Gate is { Phase: RotationPhase.VerifyLeaves, TimeRuleAt: not null });
        Assert.True(waiting.Gate!.TimeRuleAt > DateTimeOffset.UtcNow + TimeSpan.FromHours(24), $"the leaf rule waits until {waiting.Gate.TimeRuleAt:O}");

        var clock = Stopwatch.StartNew();
        await harness.Client.RaiseEventAsync(started.Id, OrchestrationEvents.Abort, new AbortSignal("dave"));
        var aborted = await harness.WaitForRecordAsync(started.Id, r => r.Status != RotationStatus.Running, TimeSpan.FromSeconds(20));
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the abort took {clock.Elapsed}");
        Assert.Contains(aborted.Audit, a => a.Event == "AbortRequested" && a.Detail.Contains("dave", StringComparison.Ordinal));
        // The custom status says what ended the wait.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        RotationProgress? progress;
        while ((progress = await harness.ProgressAsync(started.Id))?.WokenBy?.StartsWith("abort event", StringComparison.Ordinal) != true && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.StartsWith("abort event", progress?.WokenBy, StringComparison.Ordinal);
    }

    /// <summary>The estate's targets, except that none can show its leaves: the leaf gate falls back to its time rule.</summary>
    private sealed class HiddenLeaves(ITargetResolver inner) : ITargetResolver
    {
        public async Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default) =>
            [.. (await inner.ResolveAsync(domain, cancellationToken)).Select(t => (IRotationTarget)new Target(t))];

        private sealed class Target(IRotationTarget inner) : IRotationTarget
        {
            public string Name => inner.Name;
            public Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default) => inner.PreflightAsync(kind, cancellationToken);
            public Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default) => inner.ApplyTrustBundleAsync(bundle, context, cancellationToken);
            public Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default) => inner.ApplyIssuerAsync(issuer, context, cancellationToken);
            public Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default) => inner.ReportTrustAsync(cancellationToken);
            public Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default) =>
                Task.FromResult(new LeafReport(Name, false, [], "test: this target cannot show its leaves"));
            public Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default) => inner.ReadContentAsync(cancellationToken);
        }
    }
}

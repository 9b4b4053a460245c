using System.Text.Json;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask.Client;
using Rotation.Core.Domain;
using Rotation.Core.Rotations;
using Rotation.Functions.Orchestrations;
using Rotation.Functions.Tests.Support;

namespace Rotation.Functions.Tests;

/// <summary>The rotation orchestration end to end in the real Durable dispatcher, through the real engine, store and vault.</summary>
public sealed class RotationOrchestrationTests
{
    [Fact]
    public async Task Root_rotation_completes_after_the_point_of_no_return_is_approved_by_an_event()
    {
        await using var harness = await FunctionsHarness.StartAsync();
        var started = await harness.StartRotationAsync(RotationKind.Root);

        // The orchestration runs every phase up to the approval-gated one, then waits; custom status says so.
        await harness.WaitForRecordAsync(started.Id, r => r.CurrentPhase == RotationPhase.RetireOldRoot);
        var progress = await WaitForProgressAsync(harness, started.Id, p => p.Phase == RotationPhase.RetireOldRoot && p.Holding is not null && p.Holding.Contains("approval", StringComparison.Ordinal));
        Assert.NotNull(progress.NextCheckAt);
        Assert.Equal(RotationStatus.Running, (await harness.RecordAsync(started.Id)).Status);

        // Raising the event alone is enough: the orchestration records the approval in the store itself.
        await harness.Client.RaiseEventAsync(started.Id, OrchestrationEvents.Approve, new ApprovalSignal(null, "alice"));
        var done = await harness.WaitForCompletionAsync(started.Id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(RotationStatus.Completed, done.ReadOutputAs<RotationOrchestrationOutcome>()!.Status);
        var record = await harness.RecordAsync(started.Id);
        Assert.Equal(RotationStatus.Completed, record.Status);
        Assert.Contains(record.Approvals, a => a.Phase == RotationPhase.RetireOldRoot && a.ApprovedBy == "alice");
        // One decision per generation: the orchestration continued as new many times instead of growing one history.
        var input = done.ReadInputAs<RotationOrchestrationInput>()!;
        Assert.True(input.Generation >= record.Plan.Count, $"expected a generation per phase at least, got {input.Generation}");
        var authorities = await harness.Store.ListAuthoritiesAsync(FunctionsHarness.Domain);
        Assert.Equal(record.Authorities.NewRootId, authorities.Single(a => a.Role == CaRole.Root && a.Status == CaStatus.Active).Id);
    }

    [Fact]
    public async Task Intermediate_rotation_completes_and_no_history_event_carries_key_material()
    {
        await using var harness = await FunctionsHarness.StartAsync();
        var started = await harness.StartRotationAsync(RotationKind.Intermediate);
        await harness.WaitForRecordAsync(started.Id, r => r.CurrentPhase == RotationPhase.RetireOldIntermediate);

        // The approval recorded in the store (as the CLI or the HTTP API does) is found by re-reading the record
        // when the wait's timer fires, even though no event is raised: a lost event costs one recheck interval.
        await harness.Rotations.ApproveAsync(started.Id, RotationPhase.RetireOldIntermediate, "bob");
        var done = await harness.WaitForCompletionAsync(started.Id);

        Assert.Equal(RotationStatus.Completed, done.ReadOutputAs<RotationOrchestrationOutcome>()!.Status);
        var record = await harness.RecordAsync(started.Id);
        Assert.Equal(RotationStatus.Completed, record.Status);
        var active = (await harness.Store.ListAuthoritiesAsync(FunctionsHarness.Domain)).Single(a => a.Role == CaRole.Intermediate && a.Status == CaStatus.Active);
        Assert.Equal(record.Authorities.NewIntermediateId, active.Id);

        // Every payload the worker handed to the backend over the whole rotation (what history stores).
        var serialized = string.Join('\n', harness.Payloads.Payloads);
        Assert.True(harness.Payloads.Payloads.Count > 20, $"the tap saw only {harness.Payloads.Payloads.Count} payloads");
        Assert.Contains(record.Authorities.NewIntermediateId!, serialized, StringComparison.Ordinal); // records crossed: ids, never keys
        Assert.DoesNotContain("PRIVATE KEY", serialized, StringComparison.Ordinal);
        foreach (var ca in await harness.Store.ListAuthoritiesAsync(FunctionsHarness.Domain))
        {
            var key = await harness.Vault.LoadAsync(ca.Key);
            Assert.DoesNotContain(Convert.ToBase64String(key.ExportPkcs8Der()), serialized, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(key.ExportPkcs8Der()), serialized, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Abort_event_unwinds_the_rotation()
    {
        await using var harness = await FunctionsHarness.StartAsync();
        var policy = FunctionsHarness.Policy.ApprovingEachPhase(RotationKind.Root);
        var started = await harness.StartRotationAsync(RotationKind.Root, policy);
        await harness.Rotations.ApproveAsync(started.Id, RotationPhase.Prepare, "test");
        await harness.Client.RaiseEventAsync(started.Id, OrchestrationEvents.Approve, new ApprovalSignal(RotationPhase.Prepare, "test"));
        await harness.WaitForRecordAsync(started.Id, r => r.PhaseIndex >= 1);

        await harness.Client.RaiseEventAsync(started.Id, OrchestrationEvents.Abort, new AbortSignal("carol"));
        var done = await harness.WaitForCompletionAsync(started.Id);

        Assert.Equal(RotationStatus.Aborted, done.ReadOutputAs<RotationOrchestrationOutcome>()!.Status);
        var record = await harness.RecordAsync(started.Id);
        Assert.Equal(RotationStatus.Aborted, record.Status);
        Assert.Contains(record.Audit, a => a.Event == "AbortRequested" && a.Detail.Contains("carol", StringComparison.Ordinal));
        var root = (await harness.Store.ListAuthoritiesAsync(FunctionsHarness.Domain)).Single(a => a.Role == CaRole.Root && a.Status == CaStatus.Active);
        Assert.Equal(started.Authorities.OldRootId, root.Id);
    }

    [Fact]
    public async Task A_transient_activity_failure_is_retried_and_the_rotation_completes()
    {
        await using var harness = await FunctionsHarness.StartAsync();
        var policy = FunctionsHarness.Policy with { ApprovalRequiredFor = [] };
        var started = await harness.Rotations.StartAsync(FunctionsHarness.Domain, RotationKind.Intermediate, policy, "test");
        harness.Targets.FailTransiently(1);

        await harness.Starter.StartOrchestrationAsync(harness.Client, started.Id, CancellationToken.None);
        var done = await harness.WaitForCompletionAsync(started.Id);

        Assert.Equal(RotationStatus.Completed, done.ReadOutputAs<RotationOrchestrationOutcome>()!.Status);
        Assert.Equal(1, harness.Targets.TransientThrown);
    }

    [Fact]
    public async Task A_cluster_whose_activity_fails_transiently_is_retried_alone()
    {
        await using var harness = await FunctionsHarness.StartAsync(clusters: 3);
        var policy = FunctionsHarness.Policy with { ApprovalRequiredFor = [] };
        var started = await harness.Rotations.StartAsync(FunctionsHarness.Domain, RotationKind.Intermediate, policy, "test");
        var targets = (await harness.Targets.ResolveAsync(FunctionsHarness.Domain)).Select(t => t.Name).ToList();
        harness.Targets.FailTargetTransiently(targets[1], 1);

        await harness.Starter.StartOrchestrationAsync(harness.Client, started.Id, CancellationToken.None);
        var done = await harness.WaitForCompletionAsync(started.Id);

        Assert.Equal(RotationStatus.Completed, done.ReadOutputAs<RotationOrchestrationOutcome>()!.Status);
        Assert.Equal(1, harness.Targets.TargetTransientThrown);
        // One activity per cluster and round: the failed cluster's activity ran once more, nobody else's did.
        var calls = harness.Targets.ResolvedOne;
        Assert.Equal(targets.Order(), calls.Keys.Order());
        Assert.Equal(calls[targets[0]] + 1, calls[targets[1]]);
        Assert.Equal(calls[targets[0]], calls[targets[2]]);
    }

    [Fact]
    public async Task A_permanent_failure_holds_the_phase_with_its_reason_until_it_is_fixed()
    {
        await using var harness = await FunctionsHarness.StartAsync();
        var policy = FunctionsHarness.Policy with { ApprovalRequiredFor = [] };
        var started = await harness.Rotations.StartAsync(FunctionsHarness.Domain, RotationKind.Intermediate, policy, "test");
        harness.Targets.FailPermanently("cluster registry is misconfigured");
        await harness.Starter.StartOrchestrationAsync(harness.Client, started.Id, CancellationToken.None);

        var holding = await WaitForProgressAsync(harness, started.Id, p => p.Holding?.Contains("cluster registry is misconfigured", StringComparison.Ordinal) == true);
        Assert.Contains("InvalidOperationException", holding.Holding, StringComparison.Ordinal);
        var instance = await harness.Client.GetInstanceAsync(started.Id);
        Assert.Equal(OrchestrationRuntimeStatus.Running, instance!.RuntimeStatus);
        Assert.Equal(1, harness.Targets.PermanentThrown); // not retried: a permanent failure is not transient
        Assert.Equal(RotationStatus.Running, (await harness.RecordAsync(started.Id)).Status);

        harness.Targets.Heal();
        var done = await harness.WaitForCompletionAsync(started.Id);
        Assert.Equal(RotationStatus.Completed, done.ReadOutputAs<RotationOrchestrationOutcome>()!.Status);
    }

    [Fact]
    public async Task A_second_start_is_refused_by_the_store_and_by_the_backend()
    {
        await using var harness = await FunctionsHarness.StartAsync(recheck: TimeSpan.FromMinutes(5));
        var started = await harness.StartRotationAsync(RotationKind.Root);

        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => harness.Starter.StartOrchestrationAsync(harness.Client, started.Id, CancellationToken.None));
        var refused = await Assert.ThrowsAsync<DomainException>(() => harness.Rotations.StartAsync(FunctionsHarness.Domain, RotationKind.Intermediate, FunctionsHarness.Policy, "test"));
        Assert.Contains("already has an active rotation", refused.Message, StringComparison.Ordinal);
        await harness.Client.TerminateInstanceAsync(started.Id);
        // Terminating does not stop an activity already running (the first one writes the new root's key): let the
        // instance settle so nothing writes into the home while it is deleted.
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await harness.WaitForCompletionAsync(started.Id)).RuntimeStatus);
    }

    private static async Task<RotationProgress> WaitForProgressAsync(FunctionsHarness harness, string id, Func<RotationProgress, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var progress = await harness.ProgressAsync(id);
            if (progress is not null && condition(progress))
                return progress;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"custom status never matched; last: {JsonSerializer.Serialize(progress)}");
            await Task.Delay(100);
        }
    }
}

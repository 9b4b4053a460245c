using Microsoft.Extensions.DependencyInjection;
using Microsoft.DurableTask.Client;
using Rotation.Core.Rotations;
using Rotation.Functions.Hosting;
using Rotation.Functions.Orchestrations;
using Rotation.Functions.Tests.Support;
using Xunit.Abstractions;

namespace Rotation.Functions.Tests;

/// <summary>
/// Issue 9's scale case: a root rotation over 1,000 lightweight clusters (<see cref="LightEstate"/>) in the real
/// Durable dispatcher, one activity per cluster, through the real engine and a SQLite store, against the same rotation
/// over 100 (enough that every batch is full). What must not grow with the estate: the cluster calls in flight at once
/// (the cluster parallelism cap), the size of anything Durable history stores, and the payloads per orchestration
/// generation (a generation runs at most one batch, then continues as new). Wall time per cluster belongs in a benchmark.
/// </summary>
public sealed class RotationScaleTests(ITestOutputHelper log)
{
    private const int Cap = 16;

    [Fact]
    public async Task A_root_rotation_over_1000_clusters_completes_with_bounded_concurrency_and_bounded_history()
    {
        var small = await RotateAsync(100);
        var large = await RotateAsync(1000);

        foreach (var run in new[] { small, large })
        {
            log.WriteLine($"{run.Clusters} clusters: {run.Generations} generations, {run.Payloads} payloads ({run.PayloadsPerGeneration:0.0} per generation), largest {run.LargestPayload} chars, peak {run.PeakConcurrentCalls} calls in flight");
        }

        Assert.InRange(large.PeakConcurrentCalls, 2, Cap);
        // Bounded by what a snapshot keeps, not by the estate: the Azure Storage provider compresses and offloads
        // large payloads to blobs, but a custom status over 16 KB is refused, and history replays every byte.
        Assert.True(large.LargestPayload < 16 * 1024, $"a payload of {large.LargestPayload} chars went to history");
        Assert.True(large.LargestPayload < small.LargestPayload * 2, $"the largest payload grew from {small.LargestPayload} to {large.LargestPayload} chars with the estate");
        Assert.InRange(large.PayloadsPerGeneration, small.PayloadsPerGeneration * 0.5, small.PayloadsPerGeneration * 2);
    }

    private async Task<Run> RotateAsync(int clusters)
    {
        LightEstate? estate = null;
        await using var harness = await FunctionsHarness.StartAsync(
            clusters: 1,
            configure: services => services.Configure<RotationFunctionsOptions>(o => o.MaxClusterParallelism = Cap),
            targetsFrom: issuer => estate = LightEstate.Start(clusters, issuer));
        var started = await harness.StartRotationAsync(RotationKind.Root, FunctionsHarness.Policy with { ApprovalRequiredFor = [] });
        var done = await harness.WaitForCompletionAsync(started.Id, TimeSpan.FromMinutes(10));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var record = await harness.RecordAsync(started.Id);
        Assert.Equal(RotationStatus.Completed, record.Status);
        var authorities = await harness.Store.ListAuthoritiesAsync(FunctionsHarness.Domain);
        var newRoot = authorities.Single(a => a.Id == record.Authorities.NewRootId);
        var newIntermediate = authorities.Single(a => a.Id == record.Authorities.NewIntermediateId);
        Assert.Equal(clusters, estate!.Clusters.Count);
        Assert.All(estate.Clusters, c =>
        {
            Assert.Equal([newRoot.Sha256], c.Bundle.Fingerprints);
            Assert.Equal(newIntermediate.Sha256, c.Issuer.Sha256);
        });
        Assert.Equal(clusters, record.Targets.Count);

        var generations = done.ReadInputAs<RotationOrchestrationInput>()!.Generation + 1;
        var payloads = harness.Payloads.Payloads.ToList();
        return new Run(clusters, generations, payloads.Count, payloads.Max(p => p.Length), estate.PeakConcurrentCalls);
    }

    private sealed record Run(int Clusters, int Generations, int Payloads, int LargestPayload, int PeakConcurrentCalls)
    {
        public double PayloadsPerGeneration => (double)Payloads / Generations;
    }
}

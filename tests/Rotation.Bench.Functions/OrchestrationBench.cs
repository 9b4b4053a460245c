using System.Diagnostics;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Rotation.Core.Rotations;
using Rotation.Functions.Orchestrations;
using Rotation.Functions.Tests.Support;

namespace Rotation.Bench.Functions;

/// <summary>
/// One root rotation over <c>clusters</c> <see cref="LightEstate"/> clusters in the Durable test host, no approvals,
/// the Functions defaults for cluster parallelism (16). Wall time runs from the start request to the orchestration's
/// completion; the leaf gate's time rule (the policy's longest leaf plus grace) is in it for every size alike, so the
/// difference between sizes is what the estate costs.
/// </summary>
internal static class OrchestrationBench
{
    public static async Task<Result> RunAsync(int clusters, int run)
    {
        LightEstate? estate = null;
        await using var harness = await FunctionsHarness.StartAsync(clusters: 1, targetsFrom: issuer => estate = LightEstate.Start(clusters, issuer));
        var clock = Stopwatch.StartNew();
        var started = await harness.StartRotationAsync(RotationKind.Root, FunctionsHarness.Policy with { ApprovalRequiredFor = [] });
        var done = await harness.WaitForCompletionAsync(started.Id, TimeSpan.FromMinutes(30));
        var wall = clock.Elapsed;
        var record = await harness.RecordAsync(started.Id);
        if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed || record.Status != RotationStatus.Completed)
        {
            throw new InvalidOperationException($"the rotation over {clusters} clusters ended {done.RuntimeStatus} / {record.Status}: {record.FailureReason ?? record.Gate?.Reason}");
        }

        var payloads = harness.Payloads.Payloads.ToList();
        return new Result(
            run,
            clusters,
            (long)wall.TotalMilliseconds,
            done.ReadInputAs<RotationOrchestrationInput>()!.Generation + 1,
            payloads.Count,
            payloads.Max(p => p.Length),
            estate!.PeakConcurrentCalls,
            (long)(FunctionsHarness.Policy.MaxLeafTtl + FunctionsHarness.Policy.LeafGrace).TotalMilliseconds);
    }

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public sealed record Result(int Run, int Clusters, long WallMs, int Generations, int Payloads, int LargestPayload, int PeakConcurrentCalls, long TimeRuleMs)
    {
        public string ToJson() => JsonSerializer.Serialize(this, Json);
    }
}

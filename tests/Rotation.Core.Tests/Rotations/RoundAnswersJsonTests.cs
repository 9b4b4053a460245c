using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;
using Rotation.Core.Rotations.Steps;
using Rotation.Core.Serialization;

namespace Rotation.Core.Tests.Rotations;

/// <summary>A round's answers live in the stored record, one per cluster: they must read back as written, and stay small.</summary>
public sealed class RoundAnswersJsonTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Every_kind_of_answer_reads_back_as_it_was_written()
    {
        var answers = new Dictionary<string, TargetResult<TargetPart>>
        {
            ["a/istio"] = TargetResult.Ok("a/istio", TargetPart.InPlace("ok: bundle of 2 root(s) written")),
            ["b/istio"] = TargetResult.Unavailable<TargetPart>("b/istio", "connection refused"),
            ["c/istio"] = TargetResult.Ok("c/istio", new TargetPart(false, "2 live leaf/leaves need root-a", Unsafe: ["c/istio ns-0", "c/istio ns-1"], UnsafeCount: 2)),
            ["d/istio"] = TargetResult.Ok("d/istio", new TargetPart(false, "drifted", CannotRead: null, Drift: "cluster 'd' holds root sha256:ab", DriftCount: 3)),
            ["e/istio"] = TargetResult.Ok("e/istio", new TargetPart(false, "waiting for the time rule", TimeRuleAt: Now.AddHours(25))),
            ["f/istio"] = TargetResult.Ok("f/istio", new TargetPart(false, "leaves unreadable", Hold: "istiod does not answer", EvidenceHolds: true)),
            ["g/istio"] = TargetResult.Ok("g/istio", new TargetPart(false, "cannot read", CannotRead: "cannot read what g/istio holds before writing to it: timeout")),
        };
        var record = Record(answers);

        var read = RotationJson.DeserializeRotation(RotationJson.Serialize(record)).Round!;

        Assert.Equal(answers.Keys, read.Parts.Keys);
        foreach (var (target, written) in answers)
        {
            var back = read.Parts[target];
            Assert.Equal(written.Target, back.Target);
            Assert.Equal(written.Error, back.Error);
            Assert.Equal(written.Value is null, back.Value is null);
            if (written.Value is { } part)
            {
                Assert.Equal(part with { Unsafe = null }, back.Value! with { Unsafe = null });
                Assert.Equal(part.Unsafe, back.Value!.Unsafe);
            }
        }
    }

    [Fact]
    public void A_round_over_a_thousand_clusters_adds_little_to_the_record()
    {
        var names = Enumerable.Range(1, 1000).Select(i => $"cluster-{i:D4}/istio").ToList();
        var empty = RotationJson.Serialize(Record(new Dictionary<string, TargetResult<TargetPart>>(), names));
        var answered = RotationJson.Serialize(Record(names.ToDictionary(n => n, n => TargetResult.Ok(n, TargetPart.InPlace("ok: bundle of 2 root(s) written"))), names));

        // The target's name three times (the estate, the round, the answer's key) and the answer with its name: about
        // 160 characters, so 1,000 clusters stay well inside what a Table entity holds (1 MB, UTF-16). Written in full
        // (every member, null or not) an answer alone would take about 250.
        var perCluster = (answered.Length - RotationJson.Serialize(Record(new Dictionary<string, TargetResult<TargetPart>>(), [])).Length) / 1000.0;
        Assert.True(perCluster < 200, $"{perCluster:0} characters per cluster");
        Assert.Contains("\"detail\":\"ok: bundle of 2 root(s) written\"}", answered, StringComparison.Ordinal);
        Assert.DoesNotContain("\"hold\"", answered, StringComparison.Ordinal);
        Assert.DoesNotContain("\"error\"", answered, StringComparison.Ordinal);
        Assert.DoesNotContain("\"unsafeCount\"", answered, StringComparison.Ordinal);
        Assert.True(answered.Length > empty.Length, "the answers were not written at all");
    }

    private static RotationRecord Record(IReadOnlyDictionary<string, TargetResult<TargetPart>> answers, IReadOnlyList<string>? names = null) => new()
    {
        Id = "rot-1",
        Domain = "mesh.example",
        Kind = RotationKind.Root,
        Plan = [RotationPhase.Prepare, RotationPhase.DistributeTrust],
        PhaseIndex = 1,
        Authorities = new RotationAuthorities("root-a", "int-a", "root-b", "int-b"),
        Policy = new RotationPolicy(),
        CreatedAt = Now,
        Round = new PhaseRoundState(RotationPhase.DistributeTrust, 1, 0, 0, names ?? [.. answers.Keys], names ?? [.. answers.Keys], answers, Now),
    };
}

using System.Text.Json;
using Rotation.Core.Domain;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;
using Rotation.Core.Rotations.Steps;
using Rotation.Core.Serialization;

namespace Rotation.Infra.Sqlite.Tests;

public sealed class RotationJsonTests
{
    private static readonly DateTimeOffset T0 = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.FromHours(-7)).AddTicks(1);

    /// <summary>Every member set, none at its default, with odd ticks and offsets.</summary>
    private static RotationRecord FullyPopulated() => new()
    {
        Id = "rot-20260304-abc",
        Domain = "mesh.example.internal",
        Kind = RotationKind.Intermediate,
        Status = RotationStatus.Aborting,
        Plan = [RotationPhase.RevertIssuer, RotationPhase.VerifyLeavesReverted, RotationPhase.WithdrawNewTrust, RotationPhase.VerifyNewTrustWithdrawn],
        PhaseIndex = 2,
        PlanGeneration = 1,
        Authorities = new RotationAuthorities("root-a", "int-a", "root-b", "int-b"),
        Targets = new Dictionary<string, TargetProgress>
        {
            ["prod-West/istio"] = new(RotationPhase.WithdrawNewTrust, TargetState.Done, "bundle {old}", T0.AddSeconds(1)),
            ["lab/cert-manager"] = new(RotationPhase.WithdrawNewTrust, TargetState.Blocked, "configmap istio-ca-root-cert missing in ns 'ä'", T0.AddSeconds(2)),
            ["lab/linkerd"] = new(RotationPhase.VerifyNewTrustWithdrawn, TargetState.Done, "waiting", T0.AddSeconds(3)),
        },
        // A round with one target still unanswered, so that its computed Unanswered is populated too.
        Round = new PhaseRoundState(
            RotationPhase.WithdrawNewTrust,
            2,
            1,
            1,
            ["prod-West/istio", "lab/cert-manager", "lab/linkerd"],
            ["prod-West/istio", "lab/cert-manager", "lab/linkerd"],
            new Dictionary<string, TargetResult<TargetPart>>
            {
                ["prod-West/istio"] = new("prod-West/istio", new TargetPart(true, "ok: bundle written", "hold", ["prod-West/istio ns-ä"], 1, "cannot read", "drift", 2, T0.AddHours(5), true), "an error beside a value"),
                ["lab/cert-manager"] = new("lab/cert-manager", new TargetPart(false, "2 live leaves", "istiod", ["lab/cert-manager a", "lab/cert-manager b"], 7, "unreadable", "unknown root", 3, T0.AddHours(6), false), "timeout"),
            },
            T0.AddMinutes(30)),
        Gate = new GateState(RotationPhase.VerifyLeavesReverted, "2 leaves still chain to the new CA", 4, T0.AddMinutes(8), T0.AddMinutes(20)),
        Approvals = [new Approval(RotationPhase.RetireOldRoot, "alice@example.com", T0.AddHours(1), Generation: 1)],
        Audit =
        [
            new AuditEntry(T0, "started", RotationPhase.Prepare, "root rotation"),
            new AuditEntry(T0.AddHours(2), "abort-requested", RotationPhase.VerifyLeaves, "by bob"),
        ],
        Policy = new RotationPolicy
        {
            ApprovalRequiredFor = [RotationPhase.SwitchIssuer, RotationPhase.RetireOldRoot],
            MaxLeafTtl = TimeSpan.FromHours(12).Add(TimeSpan.FromTicks(3)),
            LeafGrace = TimeSpan.FromMinutes(17),
            GateRetryInitial = TimeSpan.FromSeconds(5),
            GateRetryMax = TimeSpan.FromMinutes(3),
            RootValidity = TimeSpan.FromDays(7300),
            IntermediateValidity = TimeSpan.FromDays(90),
        },
        CreatedAt = T0,
        UpdatedAt = T0.AddHours(3).ToOffset(TimeSpan.FromHours(5.5)),
        IssuerSwitchedAt = T0.AddHours(1).ToUniversalTime(),
        PhaseStartedAt = T0.AddHours(2),
        FinishedAt = T0.AddHours(4),
        FailureReason = "none yet",
        Version = 9,
    };

    [Fact]
    public void A_fully_populated_rotation_record_round_trips_exactly()
    {
        var original = FullyPopulated();
        DeepEquality.AssertFullyPopulated(original);

        var json = RotationJson.Serialize(original);
        var read = RotationJson.DeserializeRotation(json);

        DeepEquality.AssertEqual(original, read);
        Assert.Equal(json, RotationJson.Serialize(read));
    }

    [Fact]
    public void Enums_are_strings_names_are_camel_case_and_target_names_are_kept()
    {
        using var json = JsonDocument.Parse(RotationJson.Serialize(FullyPopulated()));
        var root = json.RootElement;

        Assert.Equal("intermediate", root.GetProperty("kind").GetString());
        Assert.Equal("revertIssuer", root.GetProperty("plan")[0].GetString());
        Assert.True(root.GetProperty("targets").TryGetProperty("prod-West/istio", out _));
        Assert.False(root.TryGetProperty("isActive", out _));
        Assert.False(root.TryGetProperty("currentPhase", out _));
    }

    [Fact]
    public void A_record_with_defaults_round_trips_with_its_defaults()
    {
        var original = new RotationRecord
        {
            Id = "r",
            Domain = "d",
            Kind = RotationKind.Root,
            Plan = RotationPlans.For(RotationKind.Root),
            Authorities = new RotationAuthorities("a", "b", null, null),
            Policy = new RotationPolicy(),
            CreatedAt = T0,
        };

        var read = RotationJson.DeserializeRotation(RotationJson.Serialize(original));

        DeepEquality.AssertEqual(original, read);
        Assert.Null(read.Gate);
        Assert.Equal([RotationPhase.RetireOldRoot, RotationPhase.RetireOldIntermediate], read.Policy.ApprovalRequiredFor);
    }

    [Fact]
    public void A_record_missing_a_required_member_is_refused_with_a_clear_message()
    {
        var json = RotationJson.Serialize(FullyPopulated()).Replace("\"domain\":", "\"domainX\":", StringComparison.Ordinal);

        var error = Assert.Throws<JsonException>(() => RotationJson.DeserializeRotation(json));

        Assert.StartsWith("stored rotation record cannot be read", error.Message);
        Assert.Contains("domain", error.Message);
    }

    [Fact]
    public void An_unknown_enum_value_is_refused()
    {
        var json = RotationJson.Serialize(FullyPopulated()).Replace("\"kind\":\"intermediate\"", "\"kind\":\"leaf\"", StringComparison.Ordinal);

        Assert.Throws<JsonException>(() => RotationJson.DeserializeRotation(json));
    }

    [Fact]
    public void A_fully_populated_cluster_registration_round_trips_exactly()
    {
        var original = new ClusterRegistration(
            "prod-west",
            "mesh.example.internal",
            ClusterConnectionKind.Aks,
            "/home/ops/.kube/config",
            "prod-west-admin",
            "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/prod-west",
            [
                new TargetSpec("istio", new Dictionary<string, string> { ["namespace"] = "istio-system", ["Revision"] = "1-24" }),
                new TargetSpec("trust-manager", new Dictionary<string, string> { ["bundle"] = "mesh-roots" }),
            ],
            T0,
            Version: 3);
        DeepEquality.AssertFullyPopulated(original);

        var json = RotationJson.Serialize(original);
        var read = RotationJson.DeserializeCluster(json);

        DeepEquality.AssertEqual(original, read);
        Assert.Contains("\"connection\":\"aks\"", json);
        Assert.Contains("\"Revision\":\"1-24\"", json);
    }
}

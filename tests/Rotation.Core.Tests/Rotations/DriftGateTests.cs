using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Tests.Rotations.Support;
using Rotation.Testing;

namespace Rotation.Core.Tests.Rotations;

/// <summary>Rotation writes only where it knows what is there: preflight and every write compare each target's content with the store.</summary>
public sealed class DriftGateTests
{
    private static IssuerMaterial Foreign(DateTimeOffset now)
    {
        var other = TestPki.Hierarchy(now, name: "Z");
        return new IssuerMaterial(other.Intermediate, [other.Intermediate.Certificate, other.Root.Certificate], other.Bundle);
    }

    [Fact]
    public async Task A_root_the_domain_does_not_know_is_refused_at_preflight_and_nothing_changes()
    {
        var h = await EngineHarness.CreateAsync();
        var foreign = Foreign(h.Time.GetUtcNow());
        h.Meshes[1].Overwrite(foreign.Bundle, foreign);

        var refusal = await Assert.ThrowsAsync<UnsafeStepException>(() => h.StartAsync());

        var root = foreign.Bundle.Single();
        Assert.Contains("cluster 'cluster-1'", refusal.Message);
        Assert.Contains("cluster-1/mesh bundle", refusal.Message);
        Assert.Contains($"sha256:{root.Sha256}", refusal.Message);
        Assert.Contains("rotation adopt --from-cluster cluster-1", refusal.Message);
        Assert.Empty(await h.Store.ListRotationsAsync(EngineHarness.Domain));
        Assert.All(h.Meshes, m => Assert.Equal(0, m.BundleWrites + m.IssuerWrites));
        Assert.Equal([root.Sha256], h.Meshes[1].Bundle.Fingerprints);
    }

    [Fact]
    public async Task An_issuer_the_domain_does_not_know_is_refused_even_when_the_roots_match()
    {
        var h = await EngineHarness.CreateAsync();
        var foreign = Foreign(h.Time.GetUtcNow());
        h.Meshes[0].Overwrite(TrustBundle.Of(h.RootA.Certificate), foreign);

        var refusal = await Assert.ThrowsAsync<UnsafeStepException>(() => h.StartAsync());

        Assert.Contains($"issuer sha256:{foreign.Issuer.Certificate.Sha256}", refusal.Message);
        Assert.Contains("does not know", refusal.Message);
        Assert.Empty(await h.Store.ListRotationsAsync(EngineHarness.Domain));
    }

    [Fact]
    public async Task A_missing_bundle_is_drift()
    {
        var h = await EngineHarness.CreateAsync();
        h.Meshes[0].Overwrite(TrustBundle.Empty, null);

        var refusal = await Assert.ThrowsAsync<UnsafeStepException>(() => h.Service.PreviewAsync(EngineHarness.Domain, RotationKind.Root, EngineHarness.TestPolicy));

        Assert.Contains("cluster-0/mesh bundle is absent", refusal.Message);
        Assert.Contains($"expects {{{h.RootA.Id}}}", refusal.Message);
    }

    [Fact]
    public async Task A_write_step_refuses_when_a_target_changed_behind_the_rotation_and_writes_nowhere()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync();
        await h.RunCurrentAsync(r.Id); // Prepare: touches no target
        var foreign = Foreign(h.Time.GetUtcNow());
        h.Meshes[1].Overwrite(TrustBundle.Of(h.RootA.Certificate, foreign.Bundle.Single()), null);

        var refusal = await Assert.ThrowsAsync<UnsafeStepException>(() => h.RunCurrentAsync(r.Id));

        Assert.StartsWith("drift: cluster 'cluster-1'", refusal.Message);
        Assert.Contains($"sha256:{foreign.Bundle.Single().Sha256}", refusal.Message);
        Assert.Contains(refusal.Message, (await h.RecordAsync(r.Id)).Gate!.Reason);
        Assert.All(h.Meshes, m => Assert.Equal(0, m.BundleWrites));
        Assert.Equal(RotationPhase.DistributeTrust, (await h.RecordAsync(r.Id)).CurrentPhase);
    }

    [Fact]
    public async Task A_known_but_retired_root_left_in_a_bundle_is_drift_naming_the_ca()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var first = await h.DriveAsync((await h.StartAsync()).Id);
        Assert.Equal(RotationStatus.Completed, first.Status);
        h.Meshes[0].Overwrite(TrustBundle.Of(h.RootA.Certificate, (await h.AuthorityAsync(first.Authorities.NewRootId!)).Certificate), null);

        var refusal = await Assert.ThrowsAsync<UnsafeStepException>(() => h.StartAsync(RotationKind.Intermediate));

        Assert.Contains("holds root root-a (retired), which does not belong there outside a rotation", refusal.Message);
    }

    [Fact]
    public async Task A_target_that_cannot_be_read_holds_the_start_instead_of_guessing()
    {
        var h = await EngineHarness.CreateAsync();
        h.Meshes[0].Unavailable = true;

        var error = await Assert.ThrowsAsync<DomainException>(() => h.StartAsync());

        Assert.IsNotType<UnsafeStepException>(error);
        Assert.Empty(await h.Store.ListRotationsAsync(EngineHarness.Domain));
    }

    public static IEnumerable<object[]> AbortablePhases() => Rotation.Testing.Rotations.AbortablePhases.All.Select(p => new object[] { p.Kind, p.Phase });

    [Theory]
    [MemberData(nameof(AbortablePhases))]
    public async Task Abort_from_every_abortable_phase_leaves_each_target_with_the_content_captured_before_the_rotation(RotationKind kind, RotationPhase phase)
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var before = await CaptureAsync(h);
        var r = await h.StartAsync(kind);
        await h.RunUntilAsync(r.Id, phase);

        await h.Service.AbortAsync(r.Id, "alice");
        var done = await h.DriveAsync(r.Id, autoApprove: false);

        Assert.Equal(RotationStatus.Aborted, done.Status);
        Assert.Equal(before, await CaptureAsync(h));
    }

    /// <summary>Per target and object: the set of roots and the issuer's fingerprint, as the target reports them.</summary>
    private static async Task<IReadOnlyList<string>> CaptureAsync(EngineHarness h)
    {
        var lines = new List<string>();
        foreach (var mesh in h.Meshes)
        {
            var content = await mesh.ReadContentAsync();
            lines.AddRange(content.Trust.Select(t => $"{t.Location}: {string.Join(",", t.Roots!.Select(c => c.Sha256).Order(StringComparer.Ordinal))}"));
            lines.Add($"{content.Issuer!.Location}: {content.Issuer.Certificate!.Sha256}");
        }

        return lines;
    }
}

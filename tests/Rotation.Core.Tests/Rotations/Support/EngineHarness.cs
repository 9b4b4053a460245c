using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;
using Rotation.Core.Rotations.Steps;
using Rotation.Core.Tests.Rotations.Support;
using Rotation.Testing;
using Rotation.Testing.Custody;

namespace Rotation.Core.Tests.Rotations.Support;

/// <summary>A trust domain with root A and intermediate A1, a few fake meshes on A1, and the engine over them.</summary>
public sealed class EngineHarness : ITargetResolver
{
    public const string Domain = TestPki.TrustDomain;

    private EngineHarness(FakeTimeProvider time, IReadOnlyList<FakeMesh> meshes)
    {
        Time = time;
        Meshes = meshes;
        Runner = new RotationStepRunner(Store, Custody, this, Time);
        Service = new RotationService(Store, Custody, this, Time);
    }

    public FakeTimeProvider Time { get; }
    public InMemoryStateStore Store { get; } = new();
    public InMemoryKeyCustody Custody { get; } = new();
    public IReadOnlyList<FakeMesh> Meshes { get; }
    public RotationStepRunner Runner { get; }
    public RotationService Service { get; }
    public CertificateAuthority RootA { get; private set; } = null!;
    public CertificateAuthority IntermediateA1 { get; private set; } = null!;

    public static readonly RotationPolicy TestPolicy = new()
    {
        MaxLeafTtl = TimeSpan.FromHours(1),
        LeafGrace = TimeSpan.FromMinutes(10),
        GateRetryInitial = TimeSpan.FromSeconds(30),
        GateRetryMax = TimeSpan.FromMinutes(5),
    };

    public static async Task<EngineHarness> CreateAsync(int meshes = 2, int workloads = 3, bool autoConverge = false)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
        var now = time.GetUtcNow();
        var harness = new EngineHarness(time, [.. Enumerable.Range(0, meshes).Select(i => new FakeMesh($"cluster-{i}/mesh", now, workloads) { AutoConverge = autoConverge })]);
        await harness.SeedAsync();
        return harness;
    }

    public Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<IRotationTarget>>(domain == Domain ? [.. Meshes] : []);

    public Task<RotationRecord> StartAsync(RotationKind kind = RotationKind.Root, RotationPolicy? policy = null) =>
        Service.StartAsync(Domain, kind, policy ?? TestPolicy, "test");

    public async Task<RotationRecord> RecordAsync(string id) => (await Store.FindRotationAsync(id))!;

    public async Task<IReadOnlyList<CertificateAuthority>> AuthoritiesAsync() => await Store.ListAuthoritiesAsync(Domain);

    public async Task<CertificateAuthority> AuthorityAsync(string id) => (await AuthoritiesAsync()).Single(a => a.Id == id);

    /// <summary>
    /// When set, phases run the way the Durable host runs them (<see cref="RunTargetByTargetAsync"/>) with batches of
    /// this many targets, instead of whole in one call.
    /// </summary>
    public int? TargetBatch { get; set; }

    /// <summary>Runs the current phase once, whatever the decider would say about waiting.</summary>
    public async Task<RotationRecord> RunCurrentAsync(string id)
    {
        var record = await RecordAsync(id);
        return await RunStepAsync(id, record.CurrentPhase!.Value);
    }

    private Task<RotationRecord> RunStepAsync(string id, RotationPhase phase) =>
        TargetBatch is { } batch ? RunTargetByTargetAsync(id, phase, batch) : Runner.RunAsync(id, phase);

    /// <summary>
    /// A phase as the Durable orchestration runs it: advance, one call per target of the batch (each its own
    /// activity there), advance with their answers, until the step is committed. <paramref name="betweenBatches"/> runs
    /// after each batch's answers are in and before they are handed over (a change in the estate, an abort).
    /// </summary>
    public async Task<RotationRecord> RunTargetByTargetAsync(string id, RotationPhase phase, int batchSize, Func<RoundBatch, Task>? betweenBatches = null)
    {
        RoundAnswers? answers = null;
        while (true)
        {
            var advance = await Runner.AdvanceAsync(id, phase, answers, batchSize);
            if (advance.Next is not { } batch)
            {
                return advance.Record;
            }

            var parts = new List<TargetResult<TargetPart>>();
            foreach (var target in batch.Targets)
            {
                if (await Runner.RunOnTargetAsync(id, batch, target) is { } part)
                {
                    parts.Add(part);
                }
            }

            if (betweenBatches is not null)
            {
                await betweenBatches(batch);
            }

            answers = new RoundAnswers(batch, parts);
        }
    }

    /// <summary>Runs the current phase, whatever the decider would say about waiting, until <paramref name="phase"/> is current.</summary>
    public async Task RunUntilAsync(string id, RotationPhase phase)
    {
        while ((await RecordAsync(id)).CurrentPhase != phase)
        {
            await RunCurrentAsync(id);
        }
    }

    /// <summary>Drives with the real driver; timers advance the fake clock; approvals are given when <paramref name="autoApprove"/>.</summary>
    public Task<RotationRecord> DriveAsync(string id, bool autoApprove = true) =>
        RotationDriver.RunAsync(new FakeClockWorkflowContext(this, autoApprove), id);

    public void Advance(TimeSpan by)
    {
        Time.Advance(by);
        foreach (var mesh in Meshes)
        {
            mesh.Now = Time.GetUtcNow();
        }
    }

    private async Task SeedAsync()
    {
        var now = Time.GetUtcNow();
        var hierarchy = TestPki.Hierarchy(now);
        var rootRef = (await Custody.ImportKeyAsync(
            new CustodyKeyRequest("root-a", KeyAlgorithm.EcdsaP256, Exportable: false, "seed", Domain, CaRole.Root), hierarchy.Root.Key, [hierarchy.Root.Certificate])).Reference;
        var intRef = (await Custody.ImportKeyAsync(
            new CustodyKeyRequest("int-a", KeyAlgorithm.EcdsaP256, Exportable: true, "seed", Domain, CaRole.Intermediate), hierarchy.Intermediate.Key, [hierarchy.Intermediate.Certificate, hierarchy.Root.Certificate])).Reference;
        RootA = new CertificateAuthority("root-a", Domain, CaRole.Root, CaStatus.Active, null, hierarchy.Root.Certificate, rootRef);
        IntermediateA1 = new CertificateAuthority("int-a", Domain, CaRole.Intermediate, CaStatus.Active, "root-a", hierarchy.Intermediate.Certificate, intRef);
        await Store.CommitAsync(new ChangeSet
        {
            Domain = new TrustDomain(Domain, now, KeyAlgorithm.EcdsaP256),
            Authorities = [RootA, IntermediateA1],
        });
        RootA = RootA with { Version = 1 };
        IntermediateA1 = IntermediateA1 with { Version = 1 };
        foreach (var mesh in Meshes)
        {
            mesh.Seed(new IssuerMaterial(hierarchy.Intermediate, [hierarchy.Intermediate.Certificate, hierarchy.Root.Certificate], hierarchy.Bundle));
        }
    }

    private sealed class FakeClockWorkflowContext(EngineHarness harness, bool autoApprove) : IRotationWorkflowContext
    {
        public DateTimeOffset CurrentUtcDateTime => harness.Time.GetUtcNow();

        public Task<RotationRecord> LoadAsync(string rotationId) => harness.Runner.LoadAsync(rotationId);

        public Task<RotationRecord> RunStepAsync(string rotationId, RotationPhase phase) => harness.RunStepAsync(rotationId, phase);

        public Task DelayUntilAsync(DateTimeOffset fireAt)
        {
            if (fireAt > harness.Time.GetUtcNow())
            {
                harness.Advance(fireAt - harness.Time.GetUtcNow());
            }

            return Task.CompletedTask;
        }

        public async Task<bool> WaitForApprovalAsync(string rotationId, RotationPhase phase)
        {
            if (!autoApprove)
            {
                return false;
            }

            await harness.Service.ApproveAsync(rotationId, phase, "test-approver");
            return true;
        }
    }
}

using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Drill.Estate;
using Rotation.Drill.Workloads;
using Rotation.Testing;

namespace Rotation.Drill.Tests;

/// <summary>One simulated cluster on a fake clock (real TLS listeners), under hierarchy A, with B ready to rotate to.</summary>
internal sealed class ClusterFixture : IAsyncDisposable
{
    public static readonly RotationWriteContext Context = new("rot-test", RotationPhase.DistributeTrust);

    public ClusterFixture(SimulatedClusterOptions options, int workloads = 3)
    {
        Waits = new MandatoryWaitTracker();
        var names = Enumerable.Range(1, workloads).Select(i => $"workload-{i:D2}").ToList();
        Cluster = new SimulatedCluster("cluster-01", TestPki.TrustDomain, names, IssuerA, new PeerAuthorization(), options, Time, Waits);
        Cluster.Start();
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);
    public TestHierarchy A { get; } = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "A");
    public TestHierarchy B { get; } = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "B");
    public IssuerMaterial IssuerA => new(A.Intermediate, [A.Intermediate.Certificate, A.Root.Certificate], A.Bundle);
    public TrustBundle Both => TrustBundle.Of(A.Root.Certificate, B.Root.Certificate);
    public IssuerMaterial IssuerB(TrustBundle bundle) => new(B.Intermediate, [B.Intermediate.Certificate, B.Root.Certificate], bundle);
    public MandatoryWaitTracker Waits { get; }
    public SimulatedCluster Cluster { get; }

    public async Task<IReadOnlyList<TrustStoreObservation>> StoresAsync() => (await Cluster.ReportTrustAsync()).Stores;

    public async Task<IReadOnlyList<LeafObservation>> LeavesAsync() => (await Cluster.ReportLeavesAsync()).Leaves;

    /// <summary>Timer continuations run on the thread pool after Advance; this gives them real time to land.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}

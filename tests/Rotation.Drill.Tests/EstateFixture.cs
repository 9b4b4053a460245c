using Rotation.Drill.Drills;
using Rotation.Drill.Estate;
using Rotation.Drill.Traffic;
using Rotation.Testing;

namespace Rotation.Drill.Tests;

/// <summary>A small real-time estate (fast physics) started from CA "A", with CA "B" minted to rotate to.</summary>
internal sealed class EstateFixture : IAsyncDisposable
{
    public const string Domain = TestPki.TrustDomain;

    public static readonly SimulatedClusterOptions FastPhysics = new()
    {
        PropagationDelay = TimeSpan.FromMilliseconds(150),
        PropagationJitter = TimeSpan.FromMilliseconds(150),
        LeafTtl = TimeSpan.FromSeconds(4),
    };

    // openssl every second keeps real non-.NET peers in every phase without crowding 2 cores.
    public static readonly DrillOptions Drill = new()
    {
        Traffic = new TrafficOptions { OpenSslInterval = TimeSpan.FromSeconds(1), Seed = 42 },
    };

    public EstateFixture(int clusters = 2, int workloads = 2)
    {
        Estate = SimulatedEstate.Start(Domain, A.AloneIssuer(), new SimulatedEstateOptions
        {
            Clusters = clusters,
            WorkloadsPerCluster = workloads,
            Cluster = FastPhysics,
        });
    }

    public DrillAuthorities A { get; } = DrillAuthorities.Create(Domain, "A");
    public DrillAuthorities B { get; } = DrillAuthorities.Create(Domain, "B");
    public SimulatedEstate Estate { get; }

    public ValueTask DisposeAsync() => Estate.DisposeAsync();
}

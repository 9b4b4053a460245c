using Rotation.Core.Pki;
using Rotation.Drill.Workloads;
using Rotation.Testing;

namespace Rotation.Drill.Tests;

/// <summary>Standalone workloads on loopback under two unrelated hierarchies A and B, disposed with the test.</summary>
internal sealed class WorkloadFixture : IAsyncDisposable
{
    public const string Domain = TestPki.TrustDomain;
    private readonly List<SimulatedWorkload> _workloads = [];

    public TestHierarchy A { get; } = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "A");
    public TestHierarchy B { get; } = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "B");
    public PeerAuthorization Authorization { get; } = new();

    /// <summary>A started workload with a proper leaf from <paramref name="issuer"/> (A's intermediate by default) and <paramref name="bundle"/> (A's root by default).</summary>
    public SimulatedWorkload Workload(string cluster, string name, CertificateWithKey? issuer = null, TrustBundle? bundle = null, Func<SimulatedWorkload, WorkloadCredential>? credential = null)
    {
        var workload = new SimulatedWorkload(Domain, cluster, name, Authorization, TimeSpan.FromSeconds(10));
        Authorization.Allow(workload.SpiffeId);
        workload.UseTrustBundle(bundle ?? A.Bundle, 1);
        workload.UseCredential(credential?.Invoke(workload) ?? WorkloadLeaves.Proper(workload, issuer ?? A.Intermediate));
        workload.Start();
        _workloads.Add(workload);
        return workload;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var workload in _workloads)
            await workload.DisposeAsync();
    }
}

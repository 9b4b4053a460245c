using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Testing;

namespace Rotation.Cli.Tests.Support;

/// <summary>
/// Stands in for mTLS traffic between the estate's workloads: every ~50 ms, every workload (one per namespace per
/// cluster) presents its leaf and every other workload checks it with the product's <see cref="ChainVerifier"/> against
/// its own namespace's istio-ca-root-cert bundle, as an Istio sidecar would. Leaves come from the CA the simulated
/// istiod has loaded at the time, live <see cref="LeafLifetime"/> and are renewed at half-life like istio-agent does,
/// so a leaf from the old intermediate is still presented after the issuer switch. Any failed check is a handshake
/// that would have failed.
/// </summary>
public sealed class HandshakeProbe : IAsyncDisposable
{
    private static readonly PrivateKey LeafKey = TestKeys.For(KeyAlgorithm.EcdsaP256, slot: 2);
    private readonly IReadOnlyList<(string Name, SimulatedKubeCluster Cluster)> _clusters;
    private readonly IReadOnlyList<string> _namespaces;
    private readonly TimeSpan _leafLifetime;
    private readonly Dictionary<string, Presented> _leaves = new(StringComparer.Ordinal);
    private readonly List<string> _failures = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _samples;
    private int _checks;

    public HandshakeProbe(CrashEstate estate, TimeSpan leafLifetime)
        : this(estate.Clusters, CrashEstate.WorkloadNamespaces, leafLifetime)
    {
    }

    /// <summary>Any simulated clusters whose istiod has a CA loaded, with one workload in each of <paramref name="namespaces"/>.</summary>
    public HandshakeProbe(IReadOnlyList<(string Name, SimulatedKubeCluster Cluster)> clusters, IReadOnlyList<string> namespaces, TimeSpan leafLifetime)
    {
        _clusters = clusters;
        _namespaces = namespaces;
        _leafLifetime = leafLifetime;
        _loop = Task.Run(LoopAsync);
    }

    public int Samples => Volatile.Read(ref _samples);

    public int Checks => Volatile.Read(ref _checks);

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>One sample now (also run by the loop): used right after a kill and at the end.</summary>
    public void Sample()
    {
        lock (_leaves)
        {
            var now = DateTimeOffset.UtcNow;
            var workloads = _clusters
                .SelectMany(c => _namespaces.Select(ns => (Id: $"{c.Name}/{ns}", c.Cluster, Namespace: ns)))
                .ToList();
            foreach (var (id, cluster, _) in workloads)
            {
                Renew(id, cluster, now);
            }

            foreach (var client in workloads)
            {
                var bundle = CrashEstate.RootBundle(client.Cluster, client.Namespace);
                foreach (var server in workloads)
                {
                    var leaf = _leaves[server.Id];
                    var result = bundle is null
                        ? new ChainVerificationResult(ChainStatus.UnknownAuthority, "no istio-ca-root-cert", [])
                        : ChainVerifier.Verify(leaf.Leaf, leaf.Chain, bundle, now, TlsPurpose.Any);
                    Interlocked.Increment(ref _checks);
                    if (!result.IsValid)
                    {
                        lock (_failures)
                        {
                            _failures.Add($"{now:HH:mm:ss.fff} {client.Id} rejected {server.Id}'s leaf (issued by {leaf.Leaf.Issuer}): {result.Status} {result.Reason}");
                        }
                    }
                }
            }

            Interlocked.Increment(ref _samples);
        }
    }

    private void Renew(string id, SimulatedKubeCluster cluster, DateTimeOffset now)
    {
        if (_leaves.TryGetValue(id, out var current) && now - current.IssuedAt < _leafLifetime / 2)
        {
            return;
        }

        var ca = cluster.Istio.LoadedCa ?? throw new InvalidOperationException($"istiod of {id} has no CA loaded");
        var notBefore = now - TimeSpan.FromSeconds(1) < ca.Ca.Certificate.NotBefore ? ca.Ca.Certificate.NotBefore : now - TimeSpan.FromSeconds(1);
        var request = new LeafRequest("CN=app", notBefore, now + _leafLifetime, ["app.svc.cluster.local"], [$"spiffe://{CrashEstate.Domain}/ns/{id.Split('/')[1]}/sa/app"]);
        _leaves[id] = new Presented(CertificateFactory.IssueLeaf(request, LeafKey, ca.Ca), [.. ca.Chain], now);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private sealed record Presented(Certificate Leaf, IReadOnlyList<Certificate> Chain, DateTimeOffset IssuedAt);
}

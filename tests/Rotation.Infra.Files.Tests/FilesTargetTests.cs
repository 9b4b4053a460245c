using System.Runtime.Versioning;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Files.Tests.Support;

namespace Rotation.Infra.Files.Tests;

[SupportedOSPlatform("linux")]
public sealed class FilesTargetTests : IDisposable
{
    private static readonly RotationWriteContext Write = new("rot-1", RotationPhase.DistributeTrust);
    private readonly TempDirectory _dir = new("rotation-files");
    private readonly TestHierarchy _a = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "A");
    private readonly TestHierarchy _b = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "B");

    public void Dispose() => _dir.Dispose();

    private FilesTargetOptions Options(string? reload = null, string? timeout = null)
    {
        var options = new Dictionary<string, string> { ["dir"] = _dir.Path };
        if (reload is not null)
            options["reload"] = reload;
        if (timeout is not null)
            options["reloadTimeout"] = timeout;
        return FilesTargetOptions.From(options);
    }

    private FilesTarget Target(FilesTargetOptions options) => new("vm1/files", options, new KnownAuthorities(_a.Root, _a.Intermediate, _b.Root, _b.Intermediate));

    private IssuerMaterial IssuerA => new(_a.Intermediate, [_a.Intermediate.Certificate, _a.Root.Certificate], _a.Bundle);

    private string Counter => _dir.File("reloads.log");

    private string CountingReload => CommandLine.Format(["sh", "-c", $"echo reload >> {Counter}"]);

    private int ReloadsRun => File.Exists(Counter) ? File.ReadAllLines(Counter).Length : 0;

    [Fact]
    public async Task Writes_the_bundle_and_issuer_files_with_their_modes_and_leaves_no_temporary_file()
    {
        using var target = Target(Options());

        await target.ApplyIssuerAsync(IssuerA, Write);

        var o = target.Options;
        Assert.Equal([_a.Root.Certificate], Pem.ReadCertificates(await File.ReadAllTextAsync(o.BundlePath)));
        Assert.Equal(_a.Intermediate.Certificate, Certificate.FromPem(await File.ReadAllTextAsync(o.CertPath)));
        Assert.Equal([_a.Intermediate.Certificate, _a.Root.Certificate], Pem.ReadCertificates(await File.ReadAllTextAsync(o.ChainPath)));
        Assert.True(PrivateKey.FromPem(await File.ReadAllTextAsync(o.KeyPath)).Matches(_a.Intermediate.Certificate));
        Assert.Equal(AtomicFile.Private, File.GetUnixFileMode(o.KeyPath));
        Assert.Equal(AtomicFile.Public, File.GetUnixFileMode(o.CertPath));
        Assert.Equal(AtomicFile.Public, File.GetUnixFileMode(o.ChainPath));
        Assert.Equal(AtomicFile.Public, File.GetUnixFileMode(o.BundlePath));
        Assert.Empty(Directory.GetFiles(_dir.Path, ".*"));
        var report = await target.ReportTrustAsync();
        Assert.Equal([_a.Root.Certificate.Sha256], report.Stores.Single().Sha256Fingerprints);
    }

    [Fact]
    public async Task Unchanged_content_is_not_rewritten_and_the_reload_is_not_run_again()
    {
        using var target = Target(Options(CountingReload));
        await target.ApplyIssuerAsync(IssuerA, Write);
        var written = File.GetLastWriteTimeUtc(target.Options.KeyPath);
        Assert.Equal(1, ReloadsRun);
        Assert.Equal(4, target.FileWrites);

        await target.ApplyIssuerAsync(IssuerA, Write);
        // The same bundle given again, alone or with the issuer.
        await target.ApplyTrustBundleAsync(TrustBundle.Of(_a.Root.Certificate), Write);

        Assert.Equal(1, ReloadsRun);
        Assert.Equal(4, target.FileWrites);
        Assert.Equal(written, File.GetLastWriteTimeUtc(target.Options.KeyPath));

        await target.ApplyTrustBundleAsync(TrustBundle.Of(_a.Root.Certificate, _b.Root.Certificate), Write);
        Assert.Equal(2, ReloadsRun);
        Assert.Equal(5, target.FileWrites);
    }

    [Fact]
    public async Task A_failing_reload_holds_with_its_last_stderr_line_and_is_run_again_on_the_next_attempt_even_though_the_files_are_right()
    {
        var failing = CommandLine.Format(["sh", "-c", "echo 'starting' >&2; echo 'nginx: [emerg] cannot load certificate' >&2; exit 1"]);
        using (var target = Target(Options(failing)))
        {
            var error = await Assert.ThrowsAsync<TargetUnavailableException>(() => target.ApplyTrustBundleAsync(_a.Bundle, Write));
            Assert.Contains("exited 1: nginx: [emerg] cannot load certificate", error.Reason, StringComparison.Ordinal);
            Assert.Equal(0, target.Reloads);
        }

        // The files were written; a later attempt (fixed command, or the consumer fixed) must still reload.
        using var retried = Target(Options(CountingReload));
        await retried.ApplyTrustBundleAsync(_a.Bundle, Write);
        Assert.Equal(0, retried.FileWrites);
        Assert.Equal(1, ReloadsRun);
        await retried.ApplyTrustBundleAsync(_a.Bundle, Write);
        Assert.Equal(1, ReloadsRun);
    }

    [Fact]
    public async Task A_reload_that_hangs_is_killed_after_its_timeout_and_holds_the_step()
    {
        using var target = Target(Options(CommandLine.Format(["sleep", "30"]), timeout: "1"));
        var started = DateTime.UtcNow;

        var error = await Assert.ThrowsAsync<TargetUnavailableException>(() => target.ApplyTrustBundleAsync(_a.Bundle, Write));

        Assert.Contains("did not finish within 1 s", error.Reason, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_bundle_holding_a_root_the_domain_does_not_know_is_refused_and_left_as_it_is()
    {
        var foreign = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "Someone Else");
        var original = foreign.Root.Certificate.ToPem() + _a.Root.Certificate.ToPem();
        await File.WriteAllTextAsync(_dir.File("ca-bundle.pem"), original);
        using var target = Target(Options(CountingReload));

        var refusal = await Assert.ThrowsAsync<UnsafeStepException>(() => target.ApplyTrustBundleAsync(_a.Bundle.With(_b.Root.Certificate), Write));

        Assert.Contains("ca-bundle.pem holds CN=Root Someone Else", refusal.Message, StringComparison.Ordinal);
        Assert.Contains(foreign.Root.Certificate.Sha256[..16], refusal.Message, StringComparison.Ordinal);
        Assert.Contains("rotation adopt", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllTextAsync(_dir.File("ca-bundle.pem")));
        Assert.Equal(0, ReloadsRun);
        var preflight = await target.PreflightAsync(RotationKind.Root);
        Assert.False(preflight.Checks.Single(c => c.Name == "current content").Passed);
    }

    [Fact]
    public async Task An_issuer_file_the_domain_does_not_know_is_refused()
    {
        var foreign = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "Someone Else");
        await File.WriteAllTextAsync(_dir.File("issuer.crt"), foreign.Intermediate.Certificate.ToPem());
        using var target = Target(Options());

        var refusal = await Assert.ThrowsAsync<UnsafeStepException>(() => target.ApplyIssuerAsync(IssuerA, Write));

        Assert.Contains("issuer.crt holds CN=Intermediate Someone Else", refusal.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("issuer.key")));
    }

    [Fact]
    public async Task A_file_that_is_not_PEM_is_refused()
    {
        await File.WriteAllTextAsync(_dir.File("ca-bundle.pem"), "this is not a certificate\n");
        using var target = Target(Options());

        var refusal = await Assert.ThrowsAsync<UnsafeStepException>(() => target.ApplyTrustBundleAsync(_a.Bundle, Write));

        Assert.Contains("cannot read as PEM certificates", refusal.Message, StringComparison.Ordinal);
        Assert.Equal("this is not a certificate\n", await File.ReadAllTextAsync(_dir.File("ca-bundle.pem")));
    }

    [Fact]
    public async Task What_the_files_held_before_a_rotation_first_changed_them_is_kept_key_included_at_0600()
    {
        using var target = Target(Options());
        await target.ApplyIssuerAsync(IssuerA, new RotationWriteContext("seed", RotationPhase.Prepare));

        await target.ApplyTrustBundleAsync(_a.Bundle.With(_b.Root.Certificate), Write);
        await target.ApplyIssuerAsync(new IssuerMaterial(_b.Intermediate, [_b.Intermediate.Certificate, _b.Root.Certificate], TrustBundle.Of(_b.Root.Certificate)), Write with { Phase = RotationPhase.SwitchIssuer });

        var kept = Path.Combine(_dir.Path, FilesTarget.PreviousFolder, "rot-1");
        Assert.Equal([_a.Root.Certificate], Pem.ReadCertificates(await File.ReadAllTextAsync(Path.Combine(kept, "ca-bundle.pem"))));
        Assert.Equal(_a.Intermediate.Certificate, Certificate.FromPem(await File.ReadAllTextAsync(Path.Combine(kept, "issuer.crt"))));
        Assert.True(PrivateKey.FromPem(await File.ReadAllTextAsync(Path.Combine(kept, "issuer.key"))).Matches(_a.Intermediate.Certificate));
        Assert.Equal(AtomicFile.Private, File.GetUnixFileMode(Path.Combine(kept, "issuer.key")));
        Assert.Equal(AtomicFile.PrivateDirectory, File.GetUnixFileMode(kept));
        Assert.Equal(_b.Intermediate.Certificate, Certificate.FromPem(await File.ReadAllTextAsync(target.Options.CertPath)));
    }

    [Fact]
    public async Task A_trust_only_consumer_gets_no_issuer_files()
    {
        using var target = Target(FilesTargetOptions.From(new Dictionary<string, string> { ["dir"] = _dir.Path, ["issuer"] = "none" }));

        await target.ApplyIssuerAsync(IssuerA, Write);

        Assert.True(File.Exists(target.Options.BundlePath));
        Assert.False(File.Exists(target.Options.KeyPath));
        Assert.False(File.Exists(target.Options.CertPath));
    }

    [Fact]
    public async Task Preflight_names_a_missing_directory_and_a_reload_program_that_does_not_exist()
    {
        using var target = new FilesTarget("vm1/files", FilesTargetOptions.From(new Dictionary<string, string>
        {
            ["dir"] = _dir.File("missing"),
            ["reload"] = "/nonexistent/reloader --now",
        }), new KnownAuthorities(_a.Root));

        var report = await target.PreflightAsync(RotationKind.Root);

        Assert.False(report.Passed);
        Assert.Contains("does not exist", report.Checks.Single(c => c.Name == "directory").Detail, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/reloader", report.Checks.Single(c => c.Name == "reload command").Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("relative/dir", null, "not an absolute path")]
    [InlineData("/etc/mesh", "reloadTimeout=0", "reloadTimeout '0'")]
    [InlineData("/etc/mesh", "issuer=maybe", "issuer 'maybe'")]
    [InlineData("/etc/mesh", "keyFile=../x", "keyFile '../x'")]
    [InlineData("/etc/mesh", "colour=blue", "no option 'colour'")]
    [InlineData("/etc/mesh", "reload=nginx -s 'reload", "unclosed ' quote")]
    public void Bad_options_are_refused_with_one_line_naming_them(string dir, string? extra, string expected)
    {
        var options = new Dictionary<string, string> { ["dir"] = dir };
        if (extra is not null)
            options[extra.Split('=')[0]] = extra[(extra.IndexOf('=', StringComparison.Ordinal) + 1)..];

        var error = Assert.Throws<DomainException>(() => FilesTargetOptions.From(options));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reload_command_is_split_into_argv_like_a_shell_would_without_expanding_anything()
    {
        Assert.Equal(["nginx", "-p", "/srv/my nginx", "-s", "reload"], CommandLine.Split("nginx -p '/srv/my nginx' -s reload"));
        Assert.Equal(["systemctl", "reload", "$UNIT;rm", "-rf"], CommandLine.Split("systemctl reload \"$UNIT;rm\" -rf"));
        Assert.Equal(["a b", "c"], CommandLine.Split("a\\ b   c"));
    }
}

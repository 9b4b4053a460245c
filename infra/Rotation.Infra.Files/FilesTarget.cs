using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Infra.Files;

/// <summary>
/// A consumer outside Kubernetes (a VM, an nginx or HAProxy front end, a database) that reads its CA material from a
/// directory: the trust bundle (0644) and, unless <c>issuer=none</c>, the issuer certificate, its chain (0644) and its
/// key (0600). After a change Rotation runs the configured reload command.
/// <list type="bullet">
/// <item>Before a write it reads what is there and refuses (<see cref="UnsafeStepException"/>, nothing written) when a
/// file holds a certificate the domain does not know, or something that is not PEM: Rotation does not overwrite trust
/// it does not own.</item>
/// <item>Idempotent: files whose content is already right are not rewritten, and the reload is not run again.</item>
/// <item>Crash-safe: a marker written before the first file and removed after a successful reload makes a re-run
/// reload even when the files are already right. A failed reload keeps the marker, so the step holds and retries.</item>
/// <item>What a file held before a rotation first changed it is kept in <c>.rotation-previous/ROTATION-ID/</c> (key at
/// 0600 in a 0700 folder) for abort and for an operator.</item>
/// </list>
/// </summary>
public sealed class FilesTarget : IRotationTarget, IDisposable
{
    public const string KindName = "files";
    public const string PreviousFolder = ".rotation-previous";
    public const string ReloadPendingFile = "reload-pending";

    private readonly FilesTargetOptions _options;
    private readonly IDomainMaterial _domain;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public FilesTarget(string name, FilesTargetOptions options, IDomainMaterial domain)
    {
        Name = name;
        _options = options;
        _domain = domain;
    }

    public string Name { get; }

    public FilesTargetOptions Options => _options;

    /// <summary>How many times the reload command ran successfully (for tests and diagnostics).</summary>
    public int Reloads { get; private set; }

    /// <summary>How many files were replaced.</summary>
    public int FileWrites { get; private set; }

    public async Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default)
    {
        var checks = new List<PreflightCheck>();
        var dirExists = Directory.Exists(_options.Directory);
        checks.Add(new PreflightCheck("directory", dirExists, dirExists ? $"{_options.Directory} exists" : $"{_options.Directory} does not exist: create it (Rotation writes files into it, it does not create it)"));
        if (_options.Reload.Count > 0)
        {
            var program = ResolveProgram(_options.Reload[0]);
            checks.Add(new PreflightCheck("reload command", program is not null, program is not null
                ? $"'{CommandLine.Format(_options.Reload)}' ({program})"
                : $"'{_options.Reload[0]}' is not an executable file nor on PATH: fix --reload"));
        }
        else
        {
            checks.Add(new PreflightCheck("reload command", true, "none: the consumer must re-read the files by itself, and only endpoint evidence can show that it did"));
        }

        if (dirExists)
        {
            try
            {
                await EnsureKnownAsync(await ReadCurrentAsync(cancellationToken), cancellationToken);
                checks.Add(new PreflightCheck("current content", true, $"every certificate in {_options.Directory} is known to domain '{_domain.Domain}'"));
            }
            catch (UnsafeStepException ex)
            {
                checks.Add(new PreflightCheck("current content", false, ex.Message));
            }
        }

        return new PreflightReport(Name, checks);
    }

    public async Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var current = await ReadCurrentAsync(cancellationToken);
            await EnsureKnownAsync(current, cancellationToken);
            var writes = new List<PlannedWrite>();
            if (current.Bundle is null || !SameSet(current.Bundle, bundle))
                writes.Add(new PlannedWrite(_options.BundlePath, bundle.ToPem(), AtomicFile.Public));
            await ApplyAsync(writes, context, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var current = await ReadCurrentAsync(cancellationToken);
            await EnsureKnownAsync(current, cancellationToken);
            var writes = new List<PlannedWrite>();
            // Trust first: whoever reads the directory between two renames never sees an issuer its bundle does not hold.
            if (current.Bundle is null || !SameSet(current.Bundle, issuer.Bundle))
                writes.Add(new PlannedWrite(_options.BundlePath, issuer.Bundle.ToPem(), AtomicFile.Public));
            if (_options.WritesIssuer)
            {
                var chain = Pem.WriteCertificates(issuer.ChainToRoot);
                if (current.Chain is null || !current.Chain.Select(c => c.Sha256).SequenceEqual(issuer.ChainToRoot.Select(c => c.Sha256)))
                    writes.Add(new PlannedWrite(_options.ChainPath, chain, AtomicFile.Public));
                var keyPem = issuer.Issuer.Key.ToPkcs8Pem();
                if (current.KeyText != keyPem)
                    writes.Add(new PlannedWrite(_options.KeyPath, keyPem, AtomicFile.Private));
                if (current.Cert is null || !current.Cert.Equals(issuer.Issuer.Certificate))
                    writes.Add(new PlannedWrite(_options.CertPath, issuer.Issuer.Certificate.ToPem(), AtomicFile.Public));
            }

            await ApplyAsync(writes, context, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        var current = await ReadCurrentAsync(cancellationToken);
        var fingerprints = current.Bundle?.Select(c => c.Sha256).ToHashSet(StringComparer.Ordinal) ?? [];
        return new TrustReport(Name, [new TrustStoreObservation($"file {_options.BundlePath}", fingerprints)]);
    }

    /// <summary>
    /// What the directory holds, for the engine's drift gate and for adoption. A file that is absent overwrites
    /// nothing when written, so an empty directory (a host's first install) is no drift: the bundle may be absent, and
    /// without an issuer certificate there is no issuer to compare.
    /// </summary>
    public async Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default)
    {
        var bundle = await HeldAsync($"file {_options.BundlePath}", _options.BundlePath, cancellationToken);
        if (!_options.WritesIssuer)
            return new TargetContent(Name, [bundle], null);

        var cert = await HeldAsync($"file {_options.CertPath}", _options.CertPath, cancellationToken);
        if (cert.Roots is null && cert.Problem == "absent")
            return new TargetContent(Name, [bundle], null);
        if (cert.Roots is null)
            return new TargetContent(Name, [bundle], new HeldIssuer(cert.Location, null, null, cert.Problem));

        var chain = await HeldAsync($"file {_options.ChainPath}", _options.ChainPath, cancellationToken);
        var certificates = cert.Roots.Take(1).Concat((chain.Roots ?? []).Where(c => !c.Equals(cert.Roots[0]))).ToList();
        return new TargetContent(Name, [bundle], new HeldIssuer(cert.Location, certificates, await ReadKeyAsync(cancellationToken)));
    }

    private async Task<HeldRoots> HeldAsync(string location, string path, CancellationToken cancellationToken)
    {
        try
        {
            var text = await AtomicFile.ReadAsync(path, cancellationToken);
            return string.IsNullOrWhiteSpace(text)
                ? new HeldRoots(location, null, "absent", MayBeAbsent: true)
                : new HeldRoots(location, Pem.ReadCertificates(text, path).DistinctBy(c => c.Sha256).ToList());
        }
        catch (PkiException ex)
        {
            return new HeldRoots(location, null, $"unreadable: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TargetUnavailableException(Name, $"cannot read {path}: {ex.Message}", ex);
        }
    }

    private async Task<PrivateKey?> ReadKeyAsync(CancellationToken cancellationToken)
    {
        var text = await AtomicFile.ReadAsync(_options.KeyPath, cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
            return null;
        try
        {
            return PrivateKey.FromPem(text);
        }
        catch (PkiException)
        {
            return null; // an encrypted or foreign key: adoption then asks for the key file itself
        }
    }

    public Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new LeafReport(Name, false, [], "a files consumer's leaves live in its own processes; list endpoints to read the chains it serves"));

    private async Task ApplyAsync(List<PlannedWrite> writes, RotationWriteContext context, CancellationToken cancellationToken)
    {
        var previous = Path.Combine(_options.Directory, PreviousFolder);
        var marker = Path.Combine(previous, ReloadPendingFile);
        if (writes.Count == 0 && !File.Exists(marker))
            return;

        if (writes.Count > 0)
        {
            AtomicFile.CreatePrivateDirectory(previous);
            var kept = Path.Combine(previous, context.RotationId);
            AtomicFile.CreatePrivateDirectory(kept);
            foreach (var write in writes)
            {
                // Only the first change of a rotation is kept: that is what the file held before the rotation touched it.
                var copy = Path.Combine(kept, Path.GetFileName(write.Path));
                if (!File.Exists(copy) && await AtomicFile.ReadAsync(write.Path, cancellationToken) is { } before)
                    await AtomicFile.WriteAsync(copy, before, write.Path == _options.KeyPath ? AtomicFile.Private : AtomicFile.Public, cancellationToken);
            }

            if (_options.Reload.Count > 0)
                await AtomicFile.WriteAsync(marker, $"{context.RotationId} {context.Phase}\n", AtomicFile.Private, cancellationToken);
            foreach (var write in writes)
            {
                await AtomicFile.WriteAsync(write.Path, write.Content, write.Mode, cancellationToken);
                FileWrites++;
            }
        }

        if (_options.Reload.Count == 0)
            return;
        var result = await ReloadCommand.RunAsync(_options.Reload, _options.ReloadTimeout, cancellationToken);
        if (!result.Succeeded)
            throw new TargetUnavailableException(Name, $"files written to {_options.Directory} but the reload failed: {result.Detail}");
        Reloads++;
        File.Delete(marker);
    }

    private async Task<CurrentFiles> ReadCurrentAsync(CancellationToken cancellationToken)
    {
        try
        {
            var bundle = await ReadCertificatesAsync(_options.BundlePath, cancellationToken);
            if (!_options.WritesIssuer)
                return new CurrentFiles(bundle, null, null, null);
            var cert = await ReadCertificatesAsync(_options.CertPath, cancellationToken);
            var chain = await ReadCertificatesAsync(_options.ChainPath, cancellationToken);
            var key = await AtomicFile.ReadAsync(_options.KeyPath, cancellationToken);
            return new CurrentFiles(bundle, cert is { Count: > 0 } ? cert[0] : null, chain, key);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TargetUnavailableException(Name, $"cannot read {_options.Directory}: {ex.Message}", ex);
        }
    }

    private static async Task<IReadOnlyList<Certificate>?> ReadCertificatesAsync(string path, CancellationToken cancellationToken)
    {
        var text = await AtomicFile.ReadAsync(path, cancellationToken);
        if (text is null)
            return null;
        try
        {
            return Pem.ReadCertificates(text, path);
        }
        catch (PkiException ex)
        {
            throw new UnsafeStepException($"refusing to write: {path} holds something Rotation cannot read as PEM certificates ({ex.Message}); move it away or fix it by hand");
        }
    }

    /// <summary>The file-level drift check: every certificate found must be one of the domain's CAs.</summary>
    private async Task EnsureKnownAsync(CurrentFiles current, CancellationToken cancellationToken)
    {
        var known = (await _domain.AuthoritiesAsync(cancellationToken)).ToDictionary(a => a.Sha256, StringComparer.Ordinal);
        var found = new List<(string Path, Certificate Certificate)>();
        found.AddRange((current.Bundle ?? []).Select(c => (_options.BundlePath, c)));
        found.AddRange((current.Chain ?? []).Select(c => (_options.ChainPath, c)));
        if (current.Cert is not null)
            found.Add((_options.CertPath, current.Cert));
        var stranger = found.FirstOrDefault(f => !known.ContainsKey(f.Certificate.Sha256));
        if (stranger.Certificate is not null)
        {
            throw new UnsafeStepException(
                $"refusing to write to {Name}: {stranger.Path} holds {stranger.Certificate.Subject} (sha256 {stranger.Certificate.Sha256[..16]}…), which domain '{_domain.Domain}' does not know: " +
                "adopt it first ('rotation adopt'), or remove it from the file if it should not be trusted");
        }
    }

    private static bool SameSet(IReadOnlyList<Certificate> current, TrustBundle wanted) =>
        current.Select(c => c.Sha256).ToHashSet(StringComparer.Ordinal).SetEquals(wanted.Fingerprints);

    private static string? ResolveProgram(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
            return File.Exists(program) ? Path.GetFullPath(program) : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
                return candidate;
        }

        return null;
    }

    public void Dispose() => _gate.Dispose();

    private sealed record PlannedWrite(string Path, string Content, UnixFileMode Mode);

    private sealed record CurrentFiles(IReadOnlyList<Certificate>? Bundle, Certificate? Cert, IReadOnlyList<Certificate>? Chain, string? KeyText);
}

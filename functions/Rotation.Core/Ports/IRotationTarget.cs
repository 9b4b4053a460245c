using Rotation.Core.Pki;
using Rotation.Core.Rotations;

namespace Rotation.Core.Ports;

/// <summary>
/// One place that holds CA material for workloads: an Istio plug-in CA, a Linkerd control plane, a cert-manager
/// CA issuer, a trust-manager bundle source, or the drill's simulated cluster. Every write is idempotent: applying
/// the same material twice changes nothing the second time. A target that cannot be reached throws
/// <see cref="TargetUnavailableException"/>.
/// </summary>
public interface IRotationTarget
{
    /// <summary>Unique within a domain, e.g. "prod-west/istio".</summary>
    string Name { get; }

    /// <summary>Checks that this target can take part in a rotation of <paramref name="kind"/> (e.g. Istio multi-root for a root rotation).</summary>
    Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default);

    /// <summary>Makes the target's trust bundle exactly <paramref name="bundle"/>, keeping its current issuer.</summary>
    Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default);

    /// <summary>Makes the target issue from <paramref name="issuer"/>, with <paramref name="issuer"/>.Bundle as its trust bundle.</summary>
    Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default);

    /// <summary>What every trust store under this target holds now.</summary>
    Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default);

    /// <summary>The workload leaves this target can show, or that it cannot show any.</summary>
    Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// What the objects this target writes hold now: the roots of each trust object and the issuer it signs with (and
    /// that issuer's key, for adoption), with the object names read. The drift gate compares it with the store before
    /// every write; <c>rotation adopt --from-cluster</c> records it. Reads only.
    /// </summary>
    Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// What a target holds now. <see cref="Issuer"/> is null for a target that issues nothing (trust-manager).
/// </summary>
public sealed record TargetContent(string Target, IReadOnlyList<HeldRoots> Trust, HeldIssuer? Issuer)
{
    /// <summary>The cluster part of "cluster/kind" target names (the whole name for the drill's clusters).</summary>
    public string Cluster => Target.Split('/')[0];
}

/// <summary>
/// One object (and key) that carries trust, e.g. "secret istio-system/cacerts root-cert.pem". <see cref="Roots"/> is
/// null when the object or key is absent, or unreadable (<see cref="Problem"/> says which). <see cref="MayBeAbsent"/>
/// marks objects Rotation creates itself (a trust-manager source), whose absence overwrites nothing.
/// </summary>
public sealed record HeldRoots(string Location, IReadOnlyList<Certificate>? Roots, string? Problem = null, bool MayBeAbsent = false);

/// <summary>
/// The issuer a target signs with: its certificate first, then what is stored above it. <see cref="Chain"/> is null
/// when absent or unreadable. <see cref="Key"/> is the issuer's private key when the object holds one (never logged).
/// </summary>
public sealed record HeldIssuer(string Location, IReadOnlyList<Certificate>? Chain, PrivateKey? Key = null, string? Problem = null)
{
    public Certificate? Certificate => Chain is { Count: > 0 } chain ? chain[0] : null;
}

/// <summary>Why a write happens; targets record it (labels, annotations, audit) and use it to make one-off actions idempotent.</summary>
public sealed record RotationWriteContext(string RotationId, RotationPhase Phase);

/// <summary>
/// An issuing CA and what goes with it: the chain from the issuer up to its root (issuer first, root last,
/// as Istio's cert-chain.pem) and the trust bundle to keep beside it.
/// </summary>
public sealed record IssuerMaterial(CertificateWithKey Issuer, IReadOnlyList<Certificate> ChainToRoot, TrustBundle Bundle);

public sealed record PreflightReport(string Target, IReadOnlyList<PreflightCheck> Checks)
{
    public bool Passed => Checks.All(c => c.Passed);
}

public sealed record PreflightCheck(string Name, bool Passed, string Detail);

/// <summary>One trust store a target can observe (a namespace's ConfigMap, a pod's anchors, a simulated workload) and the roots in it.</summary>
public sealed record TrustStoreObservation(string Location, IReadOnlyCollection<string> Sha256Fingerprints);

/// <summary>
/// The trust stores a target observed. <see cref="CarriesNoTrust"/> is set (with the reason) by a target that by
/// design holds no trust store (a cert-manager CA issuer whose Certificates' ca.crt nobody trusts): then an empty
/// <see cref="Stores"/> passes the trust gate instead of meaning "not observed yet".
/// </summary>
public sealed record TrustReport(string Target, IReadOnlyList<TrustStoreObservation> Stores, string? CarriesNoTrust = null);

/// <summary>A workload leaf as presented: the leaf and any intermediates sent with it.</summary>
public sealed record LeafObservation(string Location, Certificate Leaf, IReadOnlyList<Certificate> Intermediates);

/// <summary>
/// The leaves a target can show. When <see cref="Observable"/> is false the leaf gates fall back to the time
/// rule (longest leaf TTL plus grace since the switch); <see cref="Note"/> says why. <see cref="Holds"/> is evidence
/// that the target does not issue from its current issuer yet (e.g. Linkerd's identity reported IssuerUpdateSkipped):
/// the leaf gates hold with it. <see cref="IssuingSince"/> is when the target was proven to issue from its current
/// issuer; the time rule counts from the later of it and the switch, since leaves the old issuer signed until then
/// live a full lifetime after it.
/// </summary>
public sealed record LeafReport(string Target, bool Observable, IReadOnlyList<LeafObservation> Leaves, string Note = "", string? Holds = null, DateTimeOffset? IssuingSince = null);

/// <summary>A target that could not be reached or read. The gate holds and names it.</summary>
public sealed class TargetUnavailableException : Exception
{
    public TargetUnavailableException(string target, string reason, Exception? inner = null)
        : base($"target '{target}' is unavailable: {reason}", inner)
    {
        Target = target;
        Reason = reason;
    }

    public string Target { get; }
    public string Reason { get; }
}

using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Core.Rotations.Engine;

/// <summary>The CAs a rotation moves between, resolved from the store, and the bundles each phase writes.</summary>
public sealed class RotationMaterial
{
    private readonly IKeyCustody _custody;

    public RotationMaterial(RotationRecord record, CaInventory inventory, IKeyCustody custody)
    {
        _custody = custody;
        Inventory = inventory;
        OldRoot = Require(inventory, record.Authorities.OldRootId);
        OldIntermediate = Require(inventory, record.Authorities.OldIntermediateId);
        NewRoot = record.Authorities.NewRootId is { } newRoot ? Require(inventory, newRoot) : null;
        NewIntermediate = record.Authorities.NewIntermediateId is { } newIntermediate ? Require(inventory, newIntermediate) : null;
        ExtraRoots = Drift.ExtraTrustedRoots.Of(inventory, OldRoot.Id, NewRoot?.Id);
    }

    /// <summary>Roots adopted beside the old root: kept in every bundle until the old root goes (see <see cref="Drift.ExtraTrustedRoots"/>).</summary>
    public IReadOnlyList<CertificateAuthority> ExtraRoots { get; }

    public CaInventory Inventory { get; }
    public CertificateAuthority OldRoot { get; }
    public CertificateAuthority OldIntermediate { get; }

    /// <summary>Null for an intermediate rotation, and before Prepare.</summary>
    public CertificateAuthority? NewRoot { get; }

    /// <summary>Null before Prepare.</summary>
    public CertificateAuthority? NewIntermediate { get; }

    public CertificateAuthority RequiredNewIntermediate =>
        NewIntermediate ?? throw new DomainException("the rotation has no new intermediate yet: Prepare has not run");

    public CertificateAuthority RequiredNewRoot =>
        NewRoot ?? throw new DomainException("the rotation has no new root: it is not a root rotation, or Prepare has not run");

    /// <summary>The root the new intermediate chains to: the new root, or the old one in an intermediate rotation.</summary>
    public CertificateAuthority NewIssuingRoot => NewRoot ?? OldRoot;

    public TrustBundle OldOnly => TrustBundle.Of([OldRoot.Certificate, .. ExtraRoots.Select(r => r.Certificate)]);
    public TrustBundle NewOnly => TrustBundle.Of(RequiredNewRoot.Certificate);
    public TrustBundle Overlap => NewRoot is null ? OldOnly : TrustBundle.Of([OldRoot.Certificate, NewRoot.Certificate, .. ExtraRoots.Select(r => r.Certificate)]);

    /// <summary>"root A (sha256 ab12cd34…)" style names for gate reasons.</summary>
    public string Describe(string sha256)
    {
        var ca = Inventory.Authorities.FirstOrDefault(a => a.Sha256 == sha256);
        var label = ca is null ? "root" : ca.Id;
        return $"{label} ({sha256[..12]}…)";
    }

    /// <summary>
    /// Exports the intermediate's key from custody (issuing keys are created exportable: the target must hold it in
    /// the cluster) and bundles it with its chain and the bundle to keep beside it.
    /// </summary>
    public async Task<IssuerMaterial> IssuerAsync(CertificateAuthority intermediate, TrustBundle bundle, CancellationToken cancellationToken)
    {
        var root = Require(Inventory, intermediate.ParentId
            ?? throw new DomainException($"intermediate '{intermediate.Id}' has no parent recorded: the store is inconsistent"));
        var key = await _custody.ExportAsync(intermediate.Key, cancellationToken);
        return new IssuerMaterial(CertificateWithKey.Create(intermediate.Certificate, key), [intermediate.Certificate, root.Certificate], bundle);
    }

    private static CertificateAuthority Require(CaInventory inventory, string id) =>
        inventory.Find(id) ?? throw new DomainException($"CA '{id}' of this rotation is missing from trust domain '{inventory.Domain}': the store is inconsistent");
}

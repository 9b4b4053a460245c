using Rotation.Core.Domain;

namespace Rotation.Core.Rotations.Drift;

/// <summary>
/// What a target may hold when Rotation is about to read or write it: one of <see cref="Bundles"/> (root sets, by
/// SHA-256) in every trust object, and one of <see cref="Issuers"/> as its issuer. A step that writes accepts both the
/// state the previous phase left and the one it writes itself, so a re-run after a crash half-way is not drift.
/// </summary>
public sealed record DriftExpectation(string When, IReadOnlyList<IReadOnlySet<string>> Bundles, IReadOnlySet<string> Issuers)
{
    /// <summary>Outside a rotation: the active root (plus roots adopted beside it) and the active intermediate.</summary>
    public static DriftExpectation Steady(CaInventory inventory)
    {
        var bundle = Bundle([inventory.ActiveRoot.Sha256, .. ExtraTrustedRoots.Of(inventory, inventory.ActiveRoot.Id).Select(r => r.Sha256)]);
        return new DriftExpectation("outside a rotation", [bundle], Set(inventory.ActiveIntermediate.Sha256));
    }

    /// <summary>During <paramref name="record"/>'s current phase: what the phase before it left, or what this phase writes.</summary>
    public static DriftExpectation During(RotationRecord record, CaInventory inventory)
    {
        var ids = record.Authorities;
        string Sha(string id) => inventory.Find(id)?.Sha256
            ?? throw new DomainException($"CA '{id}' of rotation {record.Id} is missing from trust domain '{record.Domain}': the store is inconsistent");
        var extras = ExtraTrustedRoots.Of(inventory, ids.OldRootId, ids.NewRootId).Select(r => r.Sha256).ToList();
        var oldOnly = Bundle([Sha(ids.OldRootId), .. extras]);
        var overlap = ids.NewRootId is { } b ? Bundle([Sha(ids.OldRootId), Sha(b), .. extras]) : oldOnly;
        var newOnly = ids.NewRootId is { } nb ? Bundle([Sha(nb)]) : oldOnly;
        var a1 = Sha(ids.OldIntermediateId);
        var b1 = ids.NewIntermediateId is { } ni ? Sha(ni) : null;
        var phase = record.CurrentPhase ?? throw new DomainException($"rotation {record.Id} is {record.Status.ToString().ToLowerInvariant()}: there is no phase to check");
        var when = $"during {phase} of rotation {record.Id}";

        (IReadOnlySet<string> Bundle, string Issuer)[] states = phase switch
        {
            RotationPhase.Prepare => [(oldOnly, a1)],
            RotationPhase.DistributeTrust => [(oldOnly, a1), (overlap, a1)],
            RotationPhase.VerifyTrust => [(overlap, a1)],
            RotationPhase.SwitchIssuer => [(overlap, a1), (overlap, Required(b1, record))],
            RotationPhase.VerifyLeaves => [(overlap, Required(b1, record))],
            RotationPhase.RetireOldRoot => [(overlap, Required(b1, record)), (newOnly, Required(b1, record))],
            RotationPhase.VerifyRetired => [(newOnly, Required(b1, record))],
            RotationPhase.RetireOldIntermediate => [(oldOnly, Required(b1, record))],
            // An abort can start from any phase before the point of no return, with some targets written and some not.
            RotationPhase.RevertIssuer => [(overlap, a1), .. b1 is null ? [] : new[] { (overlap, b1) }],
            RotationPhase.VerifyLeavesReverted => [(overlap, a1)],
            RotationPhase.WithdrawNewTrust => [(overlap, a1), (oldOnly, a1)],
            RotationPhase.VerifyNewTrustWithdrawn => [(oldOnly, a1)],
            _ => throw new ArgumentOutOfRangeException(nameof(record), phase, "unknown phase"),
        };

        var bundles = new List<IReadOnlySet<string>>();
        foreach (var state in states)
        {
            if (!bundles.Any(existing => existing.SetEquals(state.Bundle)))
                bundles.Add(state.Bundle);
        }

        return new DriftExpectation(when, bundles, states.Select(s => s.Issuer).ToHashSet(StringComparer.Ordinal));
    }

    private static IReadOnlySet<string> Bundle(IEnumerable<string> fingerprints) => fingerprints.ToHashSet(StringComparer.Ordinal);

    private static IReadOnlySet<string> Set(string fingerprint) => new HashSet<string>(StringComparer.Ordinal) { fingerprint };

    private static string Required(string? fingerprint, RotationRecord record) =>
        fingerprint ?? throw new DomainException($"rotation {record.Id} has no new intermediate yet: Prepare has not run");
}

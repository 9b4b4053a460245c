using Rotation.Core.Domain;

namespace Rotation.Core.Rotations.Engine;

/// <summary>How CA statuses follow the rotation: the one table that says which CA is active, retiring or retired when.</summary>
public static class CaStatusTransitions
{
    public static IReadOnlyList<CertificateAuthority> AfterPhase(RotationRecord record, RotationPhase phase, RotationMaterial m, bool planFinished)
    {
        var changes = new List<(CertificateAuthority? Ca, CaStatus Status)>();
        switch (phase)
        {
            case RotationPhase.SwitchIssuer:
                changes.Add((m.NewIntermediate, CaStatus.Active));
                changes.Add((m.OldIntermediate, CaStatus.Retiring));
                changes.Add((m.NewRoot, CaStatus.Active));
                changes.Add((m.NewRoot is null ? null : m.OldRoot, CaStatus.Retiring));
                break;
            case RotationPhase.RevertIssuer:
                changes.Add((m.OldIntermediate, CaStatus.Active));
                changes.Add((m.NewIntermediate, CaStatus.Retiring));
                changes.Add((m.NewRoot is null ? null : m.OldRoot, CaStatus.Active));
                changes.Add((m.NewRoot, CaStatus.Retiring));
                break;
        }

        if (planFinished && record.Status == RotationStatus.Running)
        {
            changes.Add((m.OldIntermediate, CaStatus.Retired));
            changes.Add((m.NewRoot is null ? null : m.OldRoot, CaStatus.Retired));
            // Roots adopted beside the old root left every bundle with it (RetireOldRoot writes the new root only).
            if (m.NewRoot is not null)
                changes.AddRange(m.ExtraRoots.Select(r => ((CertificateAuthority?)r, CaStatus.Retired)));
        }
        else if (planFinished && record.Status == RotationStatus.Aborting)
        {
            changes.Add((m.NewIntermediate, CaStatus.Retired));
            changes.Add((m.NewRoot, CaStatus.Retired));
            changes.Add((m.OldIntermediate, CaStatus.Active));
            changes.Add((m.OldRoot, CaStatus.Active));
        }

        // The last word on a CA wins (e.g. Retiring then Retired within one commit).
        return changes
            .Where(c => c.Ca is not null)
            .GroupBy(c => c.Ca!.Id)
            .Select(g => (Ca: g.Last().Ca!, g.Last().Status))
            .Where(c => c.Ca.Status != c.Status)
            .Select(c => c.Ca.WithStatus(c.Status))
            .ToList();
    }
}

using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// The keys a rotation's Prepare mints before its commit records them: when the rotation ends without that commit
/// (aborted after a crash mid-Prepare, or while another process was still in Prepare), no CA record will ever point
/// at them and nothing would retire them, so an enabled root key nobody owns would stay in the vault. Their names and
/// operation id derive from the rotation id (see <see cref="Steps.PrepareStep"/>), which is all it takes to find them.
/// </summary>
public static class AbandonedPrepareKeys
{
    /// <summary>The vault names Prepare uses for <paramref name="record"/>'s new root (root rotations) and new intermediate.</summary>
    public static IReadOnlyList<string> NamesFor(RotationRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var generation = CaIds.GenerationOf(record.Id);
        var names = new List<string>();
        if (record.Kind == RotationKind.Root)
        {
            names.Add(CaIds.KeyName(record.Domain, CaIds.RotationRoot(generation)));
        }

        names.Add(CaIds.KeyName(record.Domain, CaIds.RotationIntermediate(generation)));
        return names;
    }

    /// <summary>Retires whatever Prepare of <paramref name="record"/> left in <paramref name="custody"/>; repeatable, a no-op when it made nothing.</summary>
    public static async Task<IReadOnlyList<KeyReference>> RetireAsync(IKeyCustody custody, RotationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(custody);
        var retired = new List<KeyReference>();
        foreach (var name in NamesFor(record))
        {
            retired.AddRange(await custody.RetireOperationAsync(name, record.Id, cancellationToken));
        }

        return retired;
    }
}

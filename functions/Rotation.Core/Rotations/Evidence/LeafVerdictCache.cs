using System.Collections.Concurrent;
using Rotation.Core.Pki;

namespace Rotation.Core.Rotations.Evidence;

/// <summary>
/// Remembers whether a leaf's signature verifies under an issuer, between gate checks. A leaf gate re-reads every
/// workload's leaf at each check, and most leaves have not changed since the last one; verifying each again cost
/// about 1.6 s of a 2.8 s check at 99 × 20 (issue 10). Whether a certificate's signature verifies under a key depends
/// only on the certificate's DER and the issuer's key, so the verdict is keyed by both SHA-256 fingerprints: a renewed
/// leaf or a different expected issuer (a new bundle, a new intermediate) is a new key and is verified afresh, and a
/// remembered verdict can never go stale. The cache holds fingerprints and booleans only, and is bounded.
/// </summary>
public sealed class LeafVerdictCache
{
    /// <summary>The process's cache, shared by every gate check.</summary>
    public static LeafVerdictCache Shared { get; } = new();

    // About 100 bytes an entry: a 99 × 20 estate's leaves under three issuers fit many times over.
    private const int DefaultCapacity = 50_000;

    private readonly ConcurrentDictionary<(string Leaf, string Issuer), bool> _verdicts = new();
    private readonly int _capacity;
    private long _verifications;

    public LeafVerdictCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
    }

    /// <summary>How many signatures this cache actually verified (the rest were remembered).</summary>
    public long Verifications => Interlocked.Read(ref _verifications);

    /// <summary>True when <paramref name="issuer"/>'s key verifies <paramref name="leaf"/>'s signature.</summary>
    public bool IsSignedBy(Certificate leaf, Certificate issuer)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(issuer);
        var key = (leaf.Sha256, issuer.Sha256);
        if (_verdicts.TryGetValue(key, out var known))
        {
            return known;
        }

        Interlocked.Increment(ref _verifications);
        var verdict = leaf.IsSignedBy(issuer);
        if (_verdicts.Count >= _capacity)
        {
            // Leaves renew, so old entries are dead weight; starting over costs one verification per live leaf.
            _verdicts.Clear();
        }

        _verdicts[key] = verdict;
        return verdict;
    }
}

using System.Collections.Concurrent;
using Rotation.Core.Pki;

namespace Rotation.Testing;

/// <summary>
/// Keys generated once per test process and shared by slot: RSA-4096 generation takes seconds on a small runner,
/// and most tests only need "some distinct key of this algorithm". Tests about generation itself call
/// <see cref="PrivateKey.Generate"/> directly.
/// </summary>
public static class TestKeys
{
    private static readonly ConcurrentDictionary<(KeyAlgorithm, int), Lazy<PrivateKey>> Keys = new();

    /// <summary>The key in <paramref name="slot"/> for <paramref name="algorithm"/>; different slots are different keys.</summary>
    public static PrivateKey Get(KeyAlgorithm algorithm, int slot = 0) =>
        Keys.GetOrAdd((algorithm, slot), key => new Lazy<PrivateKey>(() => PrivateKey.Generate(key.Item1))).Value;

    /// <summary>A fresh key for ECDSA (cheap), a cached one per <paramref name="slot"/> for RSA.</summary>
    public static PrivateKey For(KeyAlgorithm algorithm, int slot) =>
        algorithm is KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 ? PrivateKey.Generate(algorithm) : Get(algorithm, slot);
}

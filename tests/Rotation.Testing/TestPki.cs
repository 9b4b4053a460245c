using Rotation.Core.Pki;

namespace Rotation.Testing;

/// <summary>A root and an intermediate (the issuing CA), both with keys, plus helpers to mint leaves under them.</summary>
public sealed record TestHierarchy(CertificateWithKey Root, CertificateWithKey Intermediate, DateTimeOffset Now)
{
    public TrustBundle Bundle => TrustBundle.Of(Root.Certificate);

    /// <summary>A workload leaf from the intermediate, valid from 5 minutes before <see cref="Now"/> for <paramref name="lifetime"/> (24h by default).</summary>
    public CertificateWithKey Leaf(string name = "web", TimeSpan? lifetime = null, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256) =>
        TestPki.Leaf(Intermediate, Now, name, lifetime, algorithm);
}

/// <summary>
/// Ready-made PKI material built with the product's own <see cref="CertificateFactory"/>. ECDSA keys are fresh per call;
/// RSA keys come from <see cref="TestKeys"/> (root slot 0, intermediate 1, leaf 2) to keep suites fast.
/// </summary>
public static class TestPki
{
    public const string TrustDomain = "mesh.example.internal";

    /// <summary>A hierarchy valid around the provider's current time (e.g. a FakeTimeProvider driving the code under test).</summary>
    public static TestHierarchy Hierarchy(TimeProvider time, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256, string name = "A") =>
        Hierarchy(time.GetUtcNow(), algorithm, name);

    /// <summary>Root (valid from now-1d for 10 years) and intermediate (from now-1h for 1 year), named "Root {name}" / "Intermediate {name}".</summary>
    public static TestHierarchy Hierarchy(DateTimeOffset now, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256, string name = "A")
    {
        var root = Root(now, $"CN=Root {name},O={TrustDomain}", algorithm: algorithm);
        var intermediate = Intermediate(root, now, $"CN=Intermediate {name},O={TrustDomain}", algorithm: algorithm);
        return new TestHierarchy(root, intermediate, now);
    }

    /// <summary>A self-signed root valid from a day before <paramref name="now"/> for <paramref name="lifetime"/> (10 years by default).</summary>
    public static CertificateWithKey Root(DateTimeOffset now, string subject = $"CN=Root A,O={TrustDomain}", TimeSpan? lifetime = null, int? pathLength = null, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256)
    {
        var key = TestKeys.For(algorithm, slot: 0);
        var notBefore = now - TimeSpan.FromDays(1);
        var certificate = CertificateFactory.CreateRoot(new RootCaRequest(subject, notBefore, notBefore + (lifetime ?? TimeSpan.FromDays(3650)), pathLength), key);
        return new CertificateWithKey(certificate, key);
    }

    /// <summary>An intermediate valid from an hour before <paramref name="now"/> for <paramref name="lifetime"/> (1 year by default), clipped to the issuer.</summary>
    public static CertificateWithKey Intermediate(CertificateWithKey issuer, DateTimeOffset now, string subject = $"CN=Intermediate A,O={TrustDomain}", TimeSpan? lifetime = null, int pathLength = 0, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256)
    {
        var key = TestKeys.For(algorithm, slot: 1);
        var (notBefore, notAfter) = Within(issuer.Certificate, now - TimeSpan.FromHours(1), lifetime ?? TimeSpan.FromDays(365));
        var certificate = CertificateFactory.CreateIntermediate(new IntermediateCaRequest(subject, notBefore, notAfter, pathLength), key, issuer);
        return new CertificateWithKey(certificate, key);
    }

    /// <summary>A workload leaf for "{name}.default.svc" and its SPIFFE id, valid from 5 minutes before <paramref name="now"/>.</summary>
    public static CertificateWithKey Leaf(CertificateWithKey issuer, DateTimeOffset now, string name = "web", TimeSpan? lifetime = null, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256)
    {
        var key = TestKeys.For(algorithm, slot: 2);
        var (notBefore, notAfter) = Within(issuer.Certificate, now - TimeSpan.FromMinutes(5), lifetime ?? TimeSpan.FromHours(24));
        var request = new LeafRequest(
            $"CN={name}",
            notBefore,
            notAfter,
            [$"{name}.default.svc", $"{name}.default.svc.cluster.local", "localhost"],
            [SpiffeId(name)]);
        return new CertificateWithKey(CertificateFactory.IssueLeaf(request, key, issuer), key);
    }

    public static string SpiffeId(string serviceAccount, string ns = "default") => $"spiffe://{TrustDomain}/ns/{ns}/sa/{serviceAccount}";

    /// <summary>A free-form certificate built straight with BouncyCastle, for shapes the product refuses to mint.</summary>
    public static TestCertificateBuilder Custom(string subject) => new(subject);

    private static (DateTimeOffset NotBefore, DateTimeOffset NotAfter) Within(Certificate issuer, DateTimeOffset notBefore, TimeSpan lifetime)
    {
        var from = notBefore < issuer.NotBefore ? issuer.NotBefore : notBefore;
        var until = from + lifetime > issuer.NotAfter ? issuer.NotAfter : from + lifetime;
        return (from, until);
    }
}

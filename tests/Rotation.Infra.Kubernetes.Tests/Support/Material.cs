using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests.Support;

/// <summary>Two hierarchies, A (current) and B (new, minted later), and the issuer material a rotation hands targets.</summary>
public sealed class Material
{
    public static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    public TestHierarchy A { get; } = TestPki.Hierarchy(Now, name: "A");
    public TestHierarchy B { get; } = TestPki.Hierarchy(Now + TimeSpan.FromHours(1), name: "B");

    public TrustBundle OnlyA => TrustBundle.Of(A.Root.Certificate);
    public TrustBundle OnlyB => TrustBundle.Of(B.Root.Certificate);
    public TrustBundle Both => TrustBundle.Of(A.Root.Certificate, B.Root.Certificate);

    public IssuerMaterial IssuerA(TrustBundle bundle) => new(A.Intermediate, [A.Intermediate.Certificate, A.Root.Certificate], bundle);
    public IssuerMaterial IssuerB(TrustBundle bundle) => new(B.Intermediate, [B.Intermediate.Certificate, B.Root.Certificate], bundle);

    public static RotationWriteContext Context(RotationPhase phase, string rotation = "rot-1") => new(rotation, phase);

    public static IReadOnlyCollection<string> Fingerprints(params Certificate[] certificates) => certificates.Select(c => c.Sha256).ToList();
}

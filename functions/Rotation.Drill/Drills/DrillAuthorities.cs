using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Drill.Drills;

/// <summary>A root and an intermediate minted in memory for drills that run without a store (negative controls, tests).</summary>
public sealed record DrillAuthorities(CertificateWithKey Root, CertificateWithKey Intermediate)
{
    public static DrillAuthorities Create(string domain, string label, TimeProvider? timeProvider = null, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256)
    {
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        var rootKey = PrivateKey.Generate(algorithm);
        var root = CertificateFactory.CreateRoot(new RootCaRequest($"CN=Drill Root {label},O={domain}", now.AddHours(-1), now.AddDays(30), 1), rootKey);
        var rootWithKey = new CertificateWithKey(root, rootKey);
        var intermediateKey = PrivateKey.Generate(algorithm);
        var intermediate = CertificateFactory.CreateIntermediate(
            new IntermediateCaRequest($"CN=Drill Intermediate {label},O={domain}", now.AddHours(-1), now.AddDays(7)),
            intermediateKey,
            rootWithKey);
        return new DrillAuthorities(rootWithKey, new CertificateWithKey(intermediate, intermediateKey));
    }

    /// <summary>This intermediate as an issuer, with its chain to the root and <paramref name="bundle"/> beside it.</summary>
    public IssuerMaterial IssuerWith(TrustBundle bundle) =>
        new(Intermediate, [Intermediate.Certificate, Root.Certificate], bundle);

    /// <summary>The usual starting point: this CA issuing, with only its own root trusted.</summary>
    public IssuerMaterial AloneIssuer() => IssuerWith(TrustBundle.Of(Root.Certificate));
}

using System.Text.Json;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Pki;
using Rotation.Core.Rotations;

namespace Rotation.Testing.StateStores;

/// <summary>Records the state-store contract stores. Times carry odd ticks and non-UTC offsets so a lossy round trip shows.</summary>
public static class StoreSamples
{
    public const string DomainName = "mesh.example.internal";

    public static readonly DateTimeOffset Now = new DateTimeOffset(2026, 11, 23, 3, 4, 5, TimeSpan.FromHours(2)).AddTicks(1_234_567);

    private static readonly Lazy<(Certificate Root, Certificate Intermediate)> Certificates = new(() =>
    {
        var rootKey = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var root = CertificateFactory.CreateRoot(new RootCaRequest("CN=Contract Root,O=mesh.example.internal", Now.AddDays(-1), Now.AddYears(10)), rootKey);
        var intermediateKey = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var intermediate = CertificateFactory.CreateIntermediate(
            new IntermediateCaRequest("CN=Contract Intermediate,O=mesh.example.internal", Now.AddDays(-1), Now.AddYears(1)),
            intermediateKey,
            new CertificateWithKey(root, rootKey));
        return (root, intermediate);
    });

    public static Certificate RootCertificate => Certificates.Value.Root;
    public static Certificate IntermediateCertificate => Certificates.Value.Intermediate;

    public static TrustDomain Domain(string name = DomainName) => new(name, Now, KeyAlgorithm.EcdsaP384);

    public static CertificateAuthority Root(string domain = DomainName, string id = "root-1") =>
        new(id, domain, CaRole.Root, CaStatus.Active, null, RootCertificate, new KeyReference("local", id));

    public static CertificateAuthority Intermediate(string domain = DomainName, string id = "intermediate-1", string parentId = "root-1") =>
        new(id, domain, CaRole.Intermediate, CaStatus.Prepared, parentId, IntermediateCertificate, new KeyReference("local", id));

    public static ClusterRegistration Cluster(string name, string domain = DomainName) => new(
        name,
        domain,
        ClusterConnectionKind.Kubeconfig,
        "/home/ops/.kube/config",
        "prod-west",
        null,
        [new TargetSpec("istio", new Dictionary<string, string> { ["namespace"] = "istio-system" })],
        Now);

    public static IssuedLeaf Leaf(string serial, string domain = DomainName) => new(
        domain,
        serial,
        "CN=web.default.svc,O=mesh.example.internal",
        ["DNS:web.default.svc", "URI:spiffe://mesh.example.internal/ns/default/sa/web"],
        "intermediate-1",
        Now.AddMinutes(-5),
        Now.AddHours(72),
        "/srv/leaves/web",
        Now);

    public static RotationRecord Rotation(string id, string domain = DomainName) => new()
    {
        Id = id,
        Domain = domain,
        Kind = RotationKind.Root,
        Plan = RotationPlans.For(RotationKind.Root),
        Authorities = new RotationAuthorities("root-1", "intermediate-1", null, null),
        Policy = new RotationPolicy(),
        CreatedAt = Now,
        UpdatedAt = Now,
    };

    public static CloudEvent Event(string id, string subject = "rotations/r1", string domain = DomainName) => new(
        id,
        $"/rotation/domains/{domain}/rotations/r1",
        EventTypes.PhaseStarted,
        Now,
        subject,
        JsonDocument.Parse("""{"phase":"prepare","attempt":1,"targets":["a","b"]}""").RootElement.Clone());

    /// <summary>Events e000.. in order, for change sets bigger than one storage transaction.</summary>
    public static IReadOnlyList<CloudEvent> Events(int count, string prefix = "e") =>
        [.. Enumerable.Range(0, count).Select(i => Event($"{prefix}{i:D3}"))];
}

using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Tests.Rotations.Support;
using Rotation.Testing;
using Rotation.Testing.Custody;

namespace Rotation.Core.Tests.Authorities;

/// <summary>Inventory reports the deviations `openssl verify -x509_strict` (and `rotation verify --strict`) refuses.</summary>
public sealed class InventoryStrictDeviationTests
{
    private const string Domain = "mesh.example.internal";
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly InMemoryStateStore _store = new();
    private readonly CaService _service;

    public InventoryStrictDeviationTests() => _service = new CaService(_store, new InMemoryKeyCustody(), new FakeTimeProvider(Now));

    [Fact]
    public async Task What_init_mints_has_no_deviation()
    {
        await _service.InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));

        var rows = await _service.InventoryAsync(Domain);

        Assert.All(rows, row => Assert.Empty(row.StrictDeviations));
    }

    [Fact]
    public async Task A_legacy_sample_style_hierarchy_lists_each_deviation_with_its_openssl_error()
    {
        // Istio's legacy samples/certs: basicConstraints not critical, root without keyUsage, intermediate without AKI.
        var root = TestPki.Custom("CN=Legacy Root").BasicConstraintsNotCritical().KeyUsageBits(null).Valid(Now.AddDays(-1), Now.AddDays(3650)).Build();
        var intermediate = TestPki.Custom("CN=Legacy Intermediate").WithoutAuthorityKeyId().IssuedBy(root).Valid(Now.AddDays(-1), Now.AddDays(365)).Build();
        var reference = new KeyReference("test", "none");
        await _store.CommitAsync(new ChangeSet
        {
            Domain = new TrustDomain(Domain, Now, KeyAlgorithm.EcdsaP256),
            Authorities =
            [
                new CertificateAuthority("root-legacy", Domain, CaRole.Root, CaStatus.Active, null, root.Certificate, reference),
                new CertificateAuthority("int-legacy", Domain, CaRole.Intermediate, CaStatus.Active, "root-legacy", intermediate.Certificate, reference),
            ],
        });

        var rows = (await _service.InventoryAsync(Domain)).ToDictionary(r => r.Id);

        Assert.Equal([89, 92], rows["root-legacy"].StrictDeviations.Select(d => d.OpensslError).Order());
        Assert.Equal([85], rows["int-legacy"].StrictDeviations.Select(d => d.OpensslError));
    }
}

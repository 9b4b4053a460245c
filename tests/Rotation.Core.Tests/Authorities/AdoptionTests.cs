using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Authorities.Adoption;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Drift;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Tests.Rotations.Support;
using Rotation.Testing;
using Rotation.Testing.Custody;

namespace Rotation.Core.Tests.Authorities;

/// <summary>`rotation adopt` from files: each layout made by the real openssl at run time, each refusal changing nothing.</summary>
public sealed class AdoptionTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-adopt");
    private readonly InMemoryStateStore _store = new();
    private readonly InMemoryKeyCustody _vault = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    public void Dispose() => _temp.Dispose();

    private AdoptionService Service => new(_store, _vault, _time);

    /// <summary>openssl made the files valid from the moment they were written: the clock moves on to now first.</summary>
    private Task<AdoptionResult> AdoptAsync(string directory, AdoptionLayout? layout = null, string? passphrase = null, string domain = Domain)
    {
        _time.SetUtcNow(DateTimeOffset.UtcNow);
        return Service.AdoptAsync(domain, AdoptionFiles.Read(directory, layout, passphrase));
    }

    private async Task AssertAdoptedAsync(AdoptionResult result, OpenSslCaFiles.Made made, bool rootKey)
    {
        var root = Certificate.FromPem(await File.ReadAllTextAsync(made.RootCert));
        var intermediate = Pem.ReadCertificates(await File.ReadAllTextAsync(made.IntermediateCert))[0];
        Assert.Equal(root.Sha256, result.Inventory.ActiveRoot.Sha256);
        Assert.Equal(intermediate.Sha256, result.Inventory.ActiveIntermediate.Sha256);
        Assert.Equal(result.Inventory.ActiveRoot.Id, result.Inventory.ActiveIntermediate.ParentId);
        var key = await _vault.ExportAsync(result.Inventory.ActiveIntermediate.Key);
        Assert.True(key.Matches(intermediate));
        Assert.Equal(!rootKey, AbsentKeys.IsAbsent(result.Inventory.ActiveRoot.Key));
        Assert.NotNull(await _store.FindDomainAsync(Domain));
    }

    [Fact]
    public async Task Istio_plug_in_files_are_adopted_with_the_root_key()
    {
        var made = await OpenSslCaFiles.IstioAsync(_temp.File("istio"));

        var result = await AdoptAsync(made.Directory);

        await AssertAdoptedAsync(result, made, rootKey: true);
        Assert.Empty(result.Warnings);
        Assert.True(result.Created);
    }

    [Fact]
    public async Task Adopting_over_a_domain_retires_the_CAs_it_replaces_and_their_keys_sign_nothing()
    {
        var first = await AdoptAsync((await OpenSslCaFiles.IstioAsync(_temp.File("first"))).Directory);
        var replaced = new[] { first.Inventory.ActiveRoot, first.Inventory.ActiveIntermediate };

        var second = await AdoptAsync((await OpenSslCaFiles.IstioAsync(_temp.File("second"))).Directory);

        Assert.Equal(replaced.Select(c => c.Id).Order(), second.Retired.Select(c => c.Id).Order());
        foreach (var old in replaced)
        {
            Assert.Equal(CaStatus.Retired, (await _store.ListAuthoritiesAsync(Domain)).Single(a => a.Id == old.Id).Status);
            Assert.Equal(CustodyKeyState.Retired, (await _vault.GetKeyAsync(old.Key)).State);
            await Assert.ThrowsAsync<PkiException>(() => _vault.SignAsync(old.Key, new byte[] { 1, 2, 3 }));
        }

        Assert.NotEmpty(await _vault.SignAsync(second.Inventory.ActiveRoot.Key, new byte[] { 1, 2, 3 }));
        Assert.NotEmpty(await _vault.SignAsync(second.Inventory.ActiveIntermediate.Key, new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public async Task Istio_legacy_sample_CAs_are_adopted_with_one_warning_per_deviation()
    {
        var made = await OpenSslCaFiles.IstioAsync(_temp.File("legacy"), legacy: true);

        var result = await AdoptAsync(made.Directory, AdoptionLayout.Istio);

        await AssertAdoptedAsync(result, made, rootKey: true);
        Assert.Single(result.Warnings, w => w.StartsWith("root 'CN=Root CA,O=Istio' has no keyUsage", StringComparison.Ordinal) || w.StartsWith("root 'O=Istio,CN=Root CA' has no keyUsage", StringComparison.Ordinal));
        Assert.Equal(2, result.Warnings.Count(w => w.Contains("has no subject key identifier", StringComparison.Ordinal)));
        Assert.Single(result.Warnings, w => w.Contains("has no authority key identifier", StringComparison.Ordinal));
        Assert.Equal(2, result.Warnings.Count(w => w.Contains("basicConstraints extension that is not critical", StringComparison.Ordinal)));
        Assert.Equal(6, result.Warnings.Count);
    }

    [Fact]
    public async Task Linkerd_files_are_adopted_without_the_trust_anchor_key()
    {
        var made = await OpenSslCaFiles.LinkerdAsync(_temp.File("linkerd"));

        var result = await AdoptAsync(made.Directory);

        await AssertAdoptedAsync(result, made, rootKey: false);
        Assert.Contains(result.Warnings, w => w.Contains("adopted without its private key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_step_ca_folder_with_an_encrypted_intermediate_key_needs_its_passphrase()
    {
        var made = await OpenSslCaFiles.StepCaAsync(_temp.File("step"), "s3cret-pass");
        Assert.Contains("Proc-Type: 4,ENCRYPTED", await File.ReadAllTextAsync(made.IntermediateKey));

        var none = Assert.Throws<DomainException>(() => AdoptionFiles.Read(made.Directory, null, null));
        var wrong = Assert.Throws<DomainException>(() => AdoptionFiles.Read(made.Directory, null, "wrong"));
        var result = await AdoptAsync(made.Directory, passphrase: "s3cret-pass");

        Assert.Contains("--key-passphrase-file", none.Message);
        Assert.Contains("wrong passphrase", wrong.Message);
        await AssertAdoptedAsync(result, made, rootKey: false);
    }

    [Fact]
    public async Task A_cert_manager_CA_secret_is_adopted_from_tls_crt_tls_key_and_ca_crt()
    {
        var made = await OpenSslCaFiles.CertManagerAsync(_temp.File("cm"));

        var result = await AdoptAsync(made.Directory, AdoptionLayout.CertManager);

        await AssertAdoptedAsync(result, made, rootKey: false);
    }

    [Fact]
    public async Task A_bundle_with_several_roots_is_adopted_as_several_trusted_roots_and_kept_in_every_bundle()
    {
        var made = await OpenSslCaFiles.IstioAsync(_temp.File("multi"));
        var other = await OpenSslCaFiles.MakeAsync(_temp.File("other"), rootName: "Other Root");
        await File.AppendAllTextAsync(made.RootCert, await File.ReadAllTextAsync(other.RootCert));

        var result = await AdoptAsync(made.Directory);

        var otherRoot = Certificate.FromPem(await File.ReadAllTextAsync(other.RootCert));
        var roots = result.Inventory.Authorities.Where(a => a.Role == CaRole.Root).ToList();
        Assert.Equal(2, roots.Count);
        Assert.Equal(CaStatus.Retiring, roots.Single(r => r.Sha256 == otherRoot.Sha256).Status);
        var steady = DriftExpectation.Steady(result.Inventory);
        Assert.True(steady.Bundles.Single().SetEquals([result.Inventory.ActiveRoot.Sha256, otherRoot.Sha256]));
    }

    [Fact]
    public async Task Adopted_files_rotate_the_intermediate_and_then_the_root_like_an_init_domain()
    {
        var made = await OpenSslCaFiles.IstioAsync(_temp.File("rotate"));
        var adopted = (await AdoptAsync(made.Directory)).Inventory;
        var mesh = new FakeMesh("prod/istio", _time.GetUtcNow(), 2) { AutoConverge = true };
        var key = await _vault.ExportAsync(adopted.ActiveIntermediate.Key);
        mesh.Seed(new IssuerMaterial(CertificateWithKey.Create(adopted.ActiveIntermediate.Certificate, key), [adopted.ActiveIntermediate.Certificate, adopted.ActiveRoot.Certificate], TrustBundle.Of(adopted.ActiveRoot.Certificate)));
        var resolver = new OneMesh(mesh);

        foreach (var kind in new[] { RotationKind.Intermediate, RotationKind.Root })
        {
            var record = await new RotationService(_store, _vault, resolver, _time).StartAsync(Domain, kind, EngineHarness.TestPolicy, "test");
            var done = await DriveAsync(record.Id, resolver);
            Assert.Equal(RotationStatus.Completed, done.Status);
        }

        var after = new CaInventory(Domain, await _store.ListAuthoritiesAsync(Domain));
        Assert.NotEqual(adopted.ActiveRoot.Id, after.ActiveRoot.Id);
        Assert.Equal([after.ActiveRoot.Sha256], mesh.Bundle.Fingerprints);
        Assert.Equal(after.ActiveIntermediate.Sha256, mesh.Issuer!.Issuer.Certificate.Sha256);
    }

    [Fact]
    public async Task A_root_adopted_without_its_key_refuses_an_intermediate_rotation_and_names_the_alternative()
    {
        var made = await OpenSslCaFiles.IstioAsync(_temp.File("nokey"), withRootKey: false);
        await AdoptAsync(made.Directory);

        var refusal = await Assert.ThrowsAsync<DomainException>(() => new RotationService(_store, _vault, new OneMesh(), _time).PreviewAsync(Domain, RotationKind.Intermediate, EngineHarness.TestPolicy));

        Assert.Contains("adopted without its private key", refusal.Message);
        Assert.Contains("rotate the root instead", refusal.Message);
        _ = await new RotationService(_store, _vault, new OneMesh(), _time).PreviewAsync(Domain, RotationKind.Root, EngineHarness.TestPolicy);
    }

    public static TheoryData<string, string> Refusals() => new()
    {
        { "key", "the issuer key does not match" },
        { "not-ca", "is not a CA (basicConstraints CA:TRUE missing)" },
        { "no-keycertsign", "has keyUsage without keyCertSign" },
        { "chain", "the chain does not verify" },
        { "expired", "expired at" },
        { "other-domain", "is already held by trust domain 'other.example.internal'" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Each_refusal_is_one_clear_error_and_changes_nothing(string problem, string expected)
    {
        var now = _time.GetUtcNow();
        var root = TestPki.Root(now);
        var intermediate = TestPki.Intermediate(root, now);
        AdoptionSource source = new("test", [root.Certificate], null, intermediate.Certificate, intermediate.Key, []);
        switch (problem)
        {
            case "key":
                source = source with { IntermediateKey = PrivateKey.Generate(KeyAlgorithm.EcdsaP256) };
                break;
            case "not-ca":
                var leafLike = TestPki.Custom("CN=Not A CA").BasicConstraints(false).IssuedBy(root).Build();
                source = source with { Intermediate = leafLike.Certificate, IntermediateKey = leafLike.Key };
                break;
            case "no-keycertsign":
                var noSign = TestPki.Custom("CN=No KeyCertSign").BasicConstraints(true, 0).KeyUsageBits(Org.BouncyCastle.Asn1.X509.KeyUsage.DigitalSignature).IssuedBy(root).Build();
                source = source with { Intermediate = noSign.Certificate, IntermediateKey = noSign.Key };
                break;
            case "chain":
                source = source with { Roots = [TestPki.Root(now, "CN=Some Other Root").Certificate] };
                break;
            case "expired":
                var old = TestPki.Custom("CN=Expired").BasicConstraints(true, 0).Valid(now.AddYears(-2), now.AddDays(-1)).IssuedBy(root).Build();
                source = source with { Intermediate = old.Certificate, IntermediateKey = old.Key };
                break;
            case "other-domain":
                await Service.AdoptAsync("other.example.internal", source);
                break;
        }

        var domainsBefore = (await _store.ListDomainsAsync()).Count;
        var commitsBefore = _store.Commits;

        var refusal = await Assert.ThrowsAsync<DomainException>(() => Service.AdoptAsync(Domain, source));

        Assert.Contains(expected, refusal.Message);
        Assert.DoesNotContain('\n', refusal.Message);
        Assert.Equal(domainsBefore, (await _store.ListDomainsAsync()).Count);
        Assert.Equal(commitsBefore, _store.Commits);
        Assert.Null(await _store.FindDomainAsync(Domain));
    }

    private async Task<RotationRecord> DriveAsync(string id, ITargetResolver resolver)
    {
        var runner = new RotationStepRunner(_store, _vault, resolver, _time);
        var service = new RotationService(_store, _vault, resolver, _time);
        for (var i = 0; i < 200; i++)
        {
            var record = await runner.LoadAsync(id);
            switch (RotationDecider.Decide(record, _time.GetUtcNow()))
            {
                case RotationDecision.Finished:
                    return record;
                case RotationDecision.AwaitApproval approval:
                    await service.ApproveAsync(id, approval.Phase, "test");
                    break;
                case RotationDecision.WaitUntil wait:
                    _time.Advance(wait.Until - _time.GetUtcNow() + TimeSpan.FromSeconds(1));
                    break;
                case RotationDecision.RunStep step:
                    await runner.RunAsync(id, step.Phase);
                    break;
            }
        }

        throw new InvalidOperationException("the rotation did not finish");
    }

    private sealed class OneMesh(params IRotationTarget[] targets) : ITargetResolver
    {
        public Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<IRotationTarget>>(targets);
    }
}

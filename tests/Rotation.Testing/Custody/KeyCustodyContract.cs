using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Xunit;

namespace Rotation.Testing.Custody;

/// <summary>
/// What every <see cref="IKeyCustody"/> promises, written once. A test project derives from this and supplies a fresh
/// custody per test (local vault directory, Key Vault test server).
/// </summary>
public abstract class KeyCustodyContract
{
    protected static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A custody over empty storage, private to the calling test.</summary>
    protected abstract Task<IKeyCustody> CreateCustodyAsync();

    /// <summary>False where adoption (<see cref="IKeyCustody.ImportKeyAsync"/>) is refused by design; the import tests then assert the refusal.</summary>
    protected virtual bool ImportsKeys => true;

    protected static CustodyKeyRequest RootRequest(string name, string operation = "op-1", KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256) =>
        new(name, algorithm, Exportable: false, operation, "mesh.example.internal", CaRole.Root);

    protected static CustodyKeyRequest IntermediateRequest(string name, string operation = "op-1", KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256) =>
        new(name, algorithm, Exportable: true, operation, "mesh.example.internal", CaRole.Intermediate);

    protected static RootCaRequest RootCa(string cn = "Root A") => new($"CN={cn},O=mesh.example.internal", Now.AddMinutes(-5), Now.AddYears(10), PathLength: 1);

    protected static IntermediateCaRequest IntermediateCa(string cn = "Intermediate A") => new($"CN={cn},O=mesh.example.internal", Now.AddMinutes(-5), Now.AddYears(1));

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256)]
    [InlineData(KeyAlgorithm.EcdsaP384)]
    [InlineData(KeyAlgorithm.Rsa2048)]
    public async Task A_root_certificate_is_signed_by_its_own_key_in_custody(KeyAlgorithm algorithm)
    {
        var custody = await CreateCustodyAsync();

        var root = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-a", algorithm: algorithm), RootCa(), default);

        Assert.Equal(CustodyKeyState.Active, root.State);
        Assert.NotNull(root.Reference.Version);
        var certificate = Assert.Single(root.Chain);
        Assert.True(certificate.IsSelfSigned);
        Assert.True(certificate.IsCa);
        Assert.Equal(algorithm, certificate.KeyAlgorithm);
        Assert.True(root.PublicKey.Matches(certificate));
        var read = await custody.GetKeyAsync(root.Reference);
        Assert.Equal(root.PublicKey, read.PublicKey);
        Assert.Equal(certificate, read.Certificate);
    }

    [Fact]
    public async Task A_root_key_is_never_exportable()
    {
        var custody = await CreateCustodyAsync();
        var root = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-a"), RootCa(), default);

        Assert.False(root.Exportable);
        await Assert.ThrowsAsync<PkiException>(() => custody.ExportAsync(root.Reference));
        await Assert.ThrowsAsync<PkiException>(() => custody.ExportAsync(root.Reference.Unversioned));
        await Assert.ThrowsAsync<PkiException>(() => custody.CreateKeyAsync(RootRequest("root-b") with { Exportable = true }));
    }

    [Fact]
    public async Task An_intermediate_is_certified_by_the_root_through_custody_and_its_key_exports()
    {
        var custody = await CreateCustodyAsync();
        var root = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-a"), RootCa(), default);

        var intermediate = await CustodyAuthorities.CreateIntermediateAsync(custody, IntermediateRequest("int-a"), IntermediateCa(), root, default);

        Assert.Equal(CustodyKeyState.Active, intermediate.State);
        Assert.True(intermediate.Exportable);
        Assert.Equal(2, intermediate.Chain.Count);
        Assert.True(intermediate.Certificate!.IsSignedBy(root.Certificate!));
        Assert.Equal(root.Certificate, intermediate.Chain[1]);
        var exported = await custody.ExportAsync(intermediate.Reference);
        Assert.True(exported.Matches(intermediate.Certificate));
    }

    [Fact]
    public async Task A_chain_made_through_custody_passes_openssl_x509_strict()
    {
        var custody = await CreateCustodyAsync();
        var root = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-a"), RootCa(), default);
        var intermediate = await CustodyAuthorities.CreateIntermediateAsync(custody, IntermediateRequest("int-a"), IntermediateCa(), root, default);
        var leafKey = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var leafRequest = new LeafRequest("", Now.AddMinutes(-1), Now.AddHours(24), ["svc.mesh.example.internal"], ["spiffe://mesh.example.internal/ns/default/sa/svc"]);

        // One leaf signed by the intermediate through custody, one with the exported key: both must verify.
        var byReference = await CertificateFactory.IssueLeafAsync(leafRequest, PublicKey.Of(leafKey), intermediate.Certificate!, new CustodySigner(custody, intermediate));
        var byExport = CertificateFactory.IssueLeaf(leafRequest, leafKey, CertificateWithKey.Create(intermediate.Certificate!, await custody.ExportAsync(intermediate.Reference)));

        using var dir = new TempDirectory();
        var rootFile = dir.Write("root.pem", root.Certificate!.ToPem());
        var intermediateFile = dir.Write("int.pem", intermediate.Certificate!.ToPem());
        foreach (var (leaf, file) in new[] { (byReference, "leaf1.pem"), (byExport, "leaf2.pem") })
        {
            var path = dir.Write(file, leaf.ToPem());
            var result = await OpenSsl.RunAsync(
                "verify", "-x509_strict", "-attime", Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-CAfile", rootFile, "-untrusted", intermediateFile, path);
            Assert.True(result.Succeeded, result.ToString());
        }
    }

    [Fact]
    public async Task Creating_again_for_the_same_operation_resumes_the_same_key()
    {
        var custody = await CreateCustodyAsync();

        var first = await custody.CreateKeyAsync(RootRequest("root-a"));
        var again = await custody.CreateKeyAsync(RootRequest("root-a"));

        Assert.Equal(CustodyKeyState.Pending, first.State);
        Assert.Equal(first.Reference, again.Reference);
        Assert.Equal(first.PublicKey, again.PublicKey);
    }

    [Fact]
    public async Task Rerunning_a_finished_root_signs_nothing_and_returns_the_same_certificate()
    {
        var custody = await CreateCustodyAsync();
        var root = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-a"), RootCa(), default);

        var rerun = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-a"), RootCa(), default);

        Assert.Equal(root.Reference, rerun.Reference);
        Assert.Equal(root.Certificate, rerun.Certificate);
    }

    [Fact]
    public async Task A_new_operation_under_an_existing_name_makes_a_new_version_and_the_old_one_still_signs()
    {
        var custody = await CreateCustodyAsync();
        var v1 = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-a", "op-1"), RootCa("Root A"), default);

        var v2 = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-a", "op-2"), RootCa("Root A2"), default);

        Assert.Equal(v1.Reference.Name, v2.Reference.Name);
        Assert.NotEqual(v1.Reference.Version, v2.Reference.Version);
        Assert.NotEqual(v1.PublicKey, v2.PublicKey);
        var old = await custody.GetKeyAsync(v1.Reference);
        Assert.Equal(v1.Certificate, old.Certificate);
        var intermediate = await CustodyAuthorities.CreateIntermediateAsync(custody, IntermediateRequest("int-a"), IntermediateCa(), old, default);
        Assert.True(intermediate.Certificate!.IsSignedBy(v1.Certificate!));
        var current = await custody.GetKeyAsync(v1.Reference.Unversioned);
        Assert.Equal(v2.Reference, current.Reference);
    }

    [Fact]
    public async Task A_retired_key_signs_and_exports_nothing()
    {
        var custody = await CreateCustodyAsync();
        var root = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-a"), RootCa(), default);
        var intermediate = await CustodyAuthorities.CreateIntermediateAsync(custody, IntermediateRequest("int-a"), IntermediateCa(), root, default);

        await custody.RetireAsync(intermediate.Reference);
        await custody.RetireAsync(intermediate.Reference);

        Assert.Equal(CustodyKeyState.Retired, (await custody.GetKeyAsync(intermediate.Reference)).State);
        await Assert.ThrowsAsync<PkiException>(() => custody.SignAsync(intermediate.Reference, new byte[] { 1, 2, 3 }));
        await Assert.ThrowsAsync<PkiException>(() => custody.ExportAsync(intermediate.Reference));
        // The root is untouched by its intermediate's retirement.
        Assert.NotEmpty(await custody.SignAsync(root.Reference, new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public async Task A_certificate_for_another_key_is_not_attached()
    {
        var custody = await CreateCustodyAsync();
        var root = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-a"), RootCa(), default);
        var pending = await custody.CreateKeyAsync(IntermediateRequest("int-a"));

        await Assert.ThrowsAnyAsync<Exception>(() => custody.AttachCertificateAsync(pending.Reference, root.Chain));

        Assert.Equal(CustodyKeyState.Pending, (await custody.CreateKeyAsync(IntermediateRequest("int-a"))).State);
    }

    [Fact]
    public async Task An_unknown_key_is_refused_with_a_pki_error()
    {
        var custody = await CreateCustodyAsync();

        await Assert.ThrowsAsync<PkiException>(() => custody.GetKeyAsync(new KeyReference(custody.Provider, "no-such-key")));
        await Assert.ThrowsAsync<PkiException>(() => custody.SignAsync(new KeyReference(custody.Provider, "no-such-key"), new byte[] { 1 }));
    }

    [Fact]
    public async Task An_imported_hierarchy_signs_in_custody_and_only_the_intermediate_exports()
    {
        var custody = await CreateCustodyAsync();
        var hierarchy = TestPki.Hierarchy(Now);
        var rootRequest = RootRequest("root-adopted", "adopt");
        if (!ImportsKeys)
        {
            await Assert.ThrowsAsync<PkiException>(() => custody.ImportKeyAsync(rootRequest, hierarchy.Root.Key, [hierarchy.Root.Certificate]));
            return;
        }

        var root = await custody.ImportKeyAsync(rootRequest, hierarchy.Root.Key, [hierarchy.Root.Certificate]);
        var intermediate = await custody.ImportKeyAsync(
            IntermediateRequest("int-adopted", "adopt"), hierarchy.Intermediate.Key, [hierarchy.Intermediate.Certificate, hierarchy.Root.Certificate]);

        Assert.Equal(CustodyKeyState.Active, root.State);
        Assert.Equal(hierarchy.Root.Certificate, root.Certificate);
        Assert.NotNull(root.Reference.Version);
        await Assert.ThrowsAsync<PkiException>(() => custody.ExportAsync(root.Reference));
        Assert.True(PublicKey.Of(await custody.ExportAsync(intermediate.Reference)).Matches(hierarchy.Intermediate.Certificate));
        var next = await CustodyAuthorities.CreateIntermediateAsync(custody, IntermediateRequest("int-next"), IntermediateCa("Intermediate B"), root, default);
        Assert.True(next.Certificate!.IsSignedBy(hierarchy.Root.Certificate));
    }

    [Fact]
    public async Task Importing_the_same_key_again_returns_the_same_version_and_a_mismatched_chain_is_refused()
    {
        var custody = await CreateCustodyAsync();
        if (!ImportsKeys)
        {
            return;
        }

        var hierarchy = TestPki.Hierarchy(Now);
        var first = await custody.ImportKeyAsync(IntermediateRequest("int-adopted", "adopt"), hierarchy.Intermediate.Key, [hierarchy.Intermediate.Certificate]);
        var again = await custody.ImportKeyAsync(IntermediateRequest("int-adopted", "adopt-2"), hierarchy.Intermediate.Key, [hierarchy.Intermediate.Certificate]);

        Assert.Equal(first.Reference, again.Reference);
        await Assert.ThrowsAsync<PkiException>(() => custody.ImportKeyAsync(IntermediateRequest("int-other", "adopt"), hierarchy.Intermediate.Key, [hierarchy.Root.Certificate]));
    }

    [Fact]
    public async Task Retiring_an_operation_retires_its_pending_and_finished_keys_and_nothing_else()
    {
        var custody = await CreateCustodyAsync();
        var kept = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-a", "op-1"), RootCa("Root A"), default);
        // op-2 is a Prepare that died half-way: a root key made under a shared name but never certified, a finished root,
        // and an intermediate whose create is still pending.
        var pendingRoot = await custody.CreateKeyAsync(RootRequest("root-a", "op-2"));
        var finishedRoot = await CustodyAuthorities.CreateRootAsync(custody, RootRequest("root-b", "op-2"), RootCa("Root B"), default);
        var pendingIntermediate = await custody.CreateKeyAsync(IntermediateRequest("int-b", "op-2"));

        var retired = new List<KeyReference>();
        foreach (var name in new[] { "root-a", "root-b", "int-b" })
        {
            retired.AddRange(await custody.RetireOperationAsync(name, "op-2"));
        }

        Assert.Contains(retired, r => r.Name == "root-a");
        Assert.Contains(retired, r => r.Name == "root-b");
        Assert.Contains(retired, r => r.Name == "int-b");
        Assert.DoesNotContain(retired, r => r == kept.Reference);
        await Assert.ThrowsAsync<PkiException>(() => custody.SignAsync(pendingRoot.Reference, new byte[] { 1, 2, 3 }));
        await Assert.ThrowsAsync<PkiException>(() => custody.SignAsync(finishedRoot.Reference, new byte[] { 1, 2, 3 }));
        Assert.Equal(CustodyKeyState.Retired, (await custody.GetKeyAsync(finishedRoot.Reference)).State);
        // The other operation's key is untouched.
        Assert.Equal(CustodyKeyState.Active, (await custody.GetKeyAsync(kept.Reference)).State);
        Assert.NotEmpty(await custody.SignAsync(kept.Reference, new byte[] { 1, 2, 3 }));

        // Repeatable, and the names take new creates: nothing is left pending that would hold them.
        foreach (var name in new[] { "root-a", "root-b", "int-b" })
        {
            Assert.Empty(await custody.RetireOperationAsync(name, "op-2"));
        }

        var next = await custody.CreateKeyAsync(IntermediateRequest("int-b", "op-3"));
        Assert.Equal(CustodyKeyState.Pending, next.State);
        Assert.NotEqual(pendingIntermediate.PublicKey, next.PublicKey);
        Assert.Equal(CustodyKeyState.Pending, (await custody.CreateKeyAsync(RootRequest("root-a", "op-3"))).State);
    }
}

using Org.BouncyCastle.Asn1.X509;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Core.Tests.Pki;

/// <summary>One verification scenario: what to verify, and the status ChainVerifier must give.</summary>
public sealed record ChainCase(
    string Name,
    Certificate Leaf,
    IReadOnlyList<Certificate> Untrusted,
    TrustBundle Bundle,
    DateTimeOffset At,
    TlsPurpose Purpose,
    ChainStatus Expected,
    bool ComparableWithOpenssl = true,
    ChainVerifyFlags Flags = ChainVerifyFlags.None)
{
    public override string ToString() => Name;
}

/// <summary>The scenarios shared by the unit tests and the openssl interop tests. Every <see cref="ChainStatus"/> appears.</summary>
public static class ChainCases
{
    /// <summary>Whole seconds: openssl -attime takes an integer epoch.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<IReadOnlyDictionary<string, ChainCase>> All = new(() => Build().ToDictionary(c => c.Name));

    public static IEnumerable<string> Names => All.Value.Keys;

    public static IEnumerable<string> OpensslComparableNames => All.Value.Values.Where(c => c.ComparableWithOpenssl).Select(c => c.Name);

    public static ChainCase Get(string name) => All.Value[name];

    private static IEnumerable<ChainCase> Build()
    {
        var pki = TestPki.Hierarchy(Now);
        var leaf = pki.Leaf().Certificate;
        Certificate[] untrusted = [pki.Intermediate.Certificate];

        yield return new("valid chain", leaf, untrusted, pki.Bundle, Now, TlsPurpose.Any, ChainStatus.Valid);
        yield return new("valid for sslserver", leaf, untrusted, pki.Bundle, Now, TlsPurpose.Server, ChainStatus.Valid);
        yield return new("valid for sslclient", leaf, untrusted, pki.Bundle, Now, TlsPurpose.Client, ChainStatus.Valid);
        yield return new("valid at leaf notBefore", leaf, untrusted, pki.Bundle, leaf.NotBefore, TlsPurpose.Any, ChainStatus.Valid);
        yield return new("valid a second before leaf notAfter", leaf, untrusted, pki.Bundle, leaf.NotAfter.AddSeconds(-1), TlsPurpose.Any, ChainStatus.Valid);
        yield return new("expired at leaf notAfter", leaf, untrusted, pki.Bundle, leaf.NotAfter, TlsPurpose.Any, ChainStatus.Expired);
        yield return new("expired leaf", leaf, untrusted, pki.Bundle, leaf.NotAfter.AddHours(1), TlsPurpose.Any, ChainStatus.Expired);
        yield return new("leaf not yet valid", leaf, untrusted, pki.Bundle, leaf.NotBefore.AddSeconds(-1), TlsPurpose.Any, ChainStatus.NotYetValid);
        yield return new("unknown authority", leaf, untrusted, TestPki.Hierarchy(Now, name: "B").Bundle, Now, TlsPurpose.Any, ChainStatus.UnknownAuthority);
        yield return new("missing intermediate", leaf, [], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.UnknownAuthority);
        var selfSigned = TestPki.Root(Now, "CN=web").Certificate;
        yield return new("self-signed leaf not in bundle", selfSigned, [], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.UnknownAuthority);

        // An intermediate that expired while its leaf is still inside its own validity: only buildable by hand.
        var shortIntermediate = TestPki.Custom("CN=Short Intermediate").IssuedBy(pki.Root).Valid(Now.AddDays(-30), Now.AddDays(-1)).Build();
        var longLeaf = TestPki.Custom("CN=long leaf").AsLeaf(KeyPurposeID.id_kp_serverAuth, KeyPurposeID.id_kp_clientAuth).IssuedBy(shortIntermediate).Valid(Now.AddDays(-2), Now.AddDays(2)).Build();
        yield return new("expired intermediate", longLeaf.Certificate, [shortIntermediate.Certificate], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.Expired);

        var shortRoot = TestPki.Custom("CN=Short Root").Valid(Now.AddDays(-30), Now.AddDays(-1)).Build();
        var underShortRoot = TestPki.Custom("CN=under short root").AsLeaf().IssuedBy(shortRoot).Valid(Now.AddDays(-2), Now.AddDays(2)).Build();
        yield return new("expired root anchor", underShortRoot.Certificate, [], TrustBundle.Of(shortRoot.Certificate), Now, TlsPurpose.Any, ChainStatus.Expired);

        var notCa = TestPki.Custom("CN=Not A CA").BasicConstraints(null).IssuedBy(pki.Root).Valid(Now.AddDays(-1), Now.AddDays(30)).Build();
        var underNotCa = TestPki.Custom("CN=under not-ca").AsLeaf(KeyPurposeID.id_kp_serverAuth).IssuedBy(notCa).Valid(Now.AddDays(-1), Now.AddDays(1)).Build();
        yield return new("issuer without CA:TRUE", underNotCa.Certificate, [notCa.Certificate], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.IssuerNotCa);

        var caFalse = TestPki.Custom("CN=CA False").BasicConstraints(false).IssuedBy(pki.Root).Valid(Now.AddDays(-1), Now.AddDays(30)).Build();
        var underCaFalse = TestPki.Custom("CN=under ca-false").AsLeaf().IssuedBy(caFalse).Valid(Now.AddDays(-1), Now.AddDays(1)).Build();
        yield return new("issuer with CA:FALSE", underCaFalse.Certificate, [caFalse.Certificate], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.IssuerNotCa);

        var noCertSign = TestPki.Custom("CN=No CertSign").KeyUsageBits(KeyUsage.DigitalSignature | KeyUsage.CrlSign).IssuedBy(pki.Root).Valid(Now.AddDays(-1), Now.AddDays(30)).Build();
        var underNoCertSign = TestPki.Custom("CN=under no-certsign").AsLeaf().IssuedBy(noCertSign).Valid(Now.AddDays(-1), Now.AddDays(1)).Build();
        yield return new("issuer without keyCertSign", underNoCertSign.Certificate, [noCertSign.Certificate], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.KeyUsageMissing);

        var noKeyUsage = TestPki.Custom("CN=No KeyUsage CA").KeyUsageBits(null).IssuedBy(pki.Root).Valid(Now.AddDays(-1), Now.AddDays(30)).Build();
        var underNoKeyUsage = TestPki.Custom("CN=under no-keyusage").AsLeaf().IssuedBy(noKeyUsage).Valid(Now.AddDays(-1), Now.AddDays(1)).Build();
        yield return new("issuer without keyUsage extension", underNoKeyUsage.Certificate, [noKeyUsage.Certificate], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.Valid);

        var zeroRoot = TestPki.Root(Now, "CN=Root PathLen 0", pathLength: 0);
        var underZero = TestPki.Intermediate(zeroRoot, Now, "CN=Intermediate under pathLen 0");
        var underZeroLeaf = TestPki.Leaf(underZero, Now).Certificate;
        yield return new("pathLen exceeded at root", underZeroLeaf, [underZero.Certificate], TrustBundle.Of(zeroRoot.Certificate), Now, TlsPurpose.Any, ChainStatus.PathLengthExceeded);

        var sub = TestPki.Intermediate(pki.Intermediate, Now, "CN=Sub Intermediate");
        var underSub = TestPki.Leaf(sub, Now).Certificate;
        yield return new("pathLen exceeded at intermediate", underSub, [sub.Certificate, pki.Intermediate.Certificate], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.PathLengthExceeded);

        var oneRoot = TestPki.Root(Now, "CN=Root PathLen 1", pathLength: 1);
        var underOne = TestPki.Intermediate(oneRoot, Now, "CN=Intermediate under pathLen 1");
        yield return new("pathLen respected", TestPki.Leaf(underOne, Now).Certificate, [underOne.Certificate], TrustBundle.Of(oneRoot.Certificate), Now, TlsPurpose.Any, ChainStatus.Valid);

        var serverOnly = TestPki.Custom("CN=server only").AsLeaf(KeyPurposeID.id_kp_serverAuth).IssuedBy(pki.Intermediate).Valid(Now.AddHours(-1), Now.AddHours(1)).Build().Certificate;
        yield return new("leaf without clientAuth as sslclient", serverOnly, untrusted, pki.Bundle, Now, TlsPurpose.Client, ChainStatus.ExtendedKeyUsageMissing);
        yield return new("leaf without clientAuth as sslserver", serverOnly, untrusted, pki.Bundle, Now, TlsPurpose.Server, ChainStatus.Valid);
        var clientOnly = TestPki.Custom("CN=client only").AsLeaf(KeyPurposeID.id_kp_clientAuth).IssuedBy(pki.Intermediate).Valid(Now.AddHours(-1), Now.AddHours(1)).Build().Certificate;
        yield return new("leaf without serverAuth as sslserver", clientOnly, untrusted, pki.Bundle, Now, TlsPurpose.Server, ChainStatus.ExtendedKeyUsageMissing);
        var noEku = TestPki.Custom("CN=no eku").AsLeaf().IssuedBy(pki.Intermediate).Valid(Now.AddHours(-1), Now.AddHours(1)).Build().Certificate;
        yield return new("leaf without any EKU as sslclient", noEku, untrusted, pki.Bundle, Now, TlsPurpose.Client, ChainStatus.Valid);

        var tampered = leaf.Der.ToArray();
        tampered[^1] ^= 0x01; // last byte of the signature value
        yield return new("leaf signature tampered", Certificate.FromDer(tampered), untrusted, pki.Bundle, Now, TlsPurpose.Any, ChainStatus.SignatureInvalid);

        // Anchors: without -partial_chain openssl trusts only a self-signed root of the CAfile.
        yield return new("leaf itself in the bundle", leaf, untrusted, TrustBundle.Of(leaf), Now, TlsPurpose.Any, ChainStatus.UnknownAuthority);
        yield return new("leaf itself in the bundle, no intermediate", leaf, [], TrustBundle.Of(leaf), Now, TlsPurpose.Any, ChainStatus.UnknownAuthority);
        yield return new("intermediate as the only anchor", leaf, [], TrustBundle.Of(pki.Intermediate.Certificate), Now, TlsPurpose.Any, ChainStatus.UnknownAuthority);
        yield return new("intermediate and root in the bundle", leaf, [], TrustBundle.Of(pki.Intermediate.Certificate, pki.Root.Certificate), Now, TlsPurpose.Any, ChainStatus.Valid);
        yield return new("intermediate as anchor with partial chain", leaf, [], TrustBundle.Of(pki.Intermediate.Certificate), Now, TlsPurpose.Any, ChainStatus.Valid, Flags: ChainVerifyFlags.PartialChain);
        yield return new("leaf itself in the bundle with partial chain", leaf, [], TrustBundle.Of(leaf), Now, TlsPurpose.Any, ChainStatus.Valid, Flags: ChainVerifyFlags.PartialChain);

        // -x509_strict (crypto/x509/x509_vfy.c check_extensions): what Rotation mints passes; each deviation fails only when strict.
        yield return new("strict: product-shaped chain", leaf, untrusted, pki.Bundle, Now, TlsPurpose.Any, ChainStatus.Valid, Flags: ChainVerifyFlags.X509Strict);
        var looseRoot = TestPki.Custom("CN=Loose Root").BasicConstraintsNotCritical().Valid(Now.AddDays(-1), Now.AddDays(30)).Build();
        var underLooseRoot = TestPki.Custom("CN=under loose root").AsLeaf().IssuedBy(looseRoot).Valid(Now.AddDays(-1), Now.AddDays(1)).Build().Certificate;
        yield return new("root basicConstraints not critical", underLooseRoot, [], TrustBundle.Of(looseRoot.Certificate), Now, TlsPurpose.Any, ChainStatus.Valid);
        yield return new("strict: root basicConstraints not critical", underLooseRoot, [], TrustBundle.Of(looseRoot.Certificate), Now, TlsPurpose.Any, ChainStatus.StrictViolation, Flags: ChainVerifyFlags.X509Strict);
        yield return new("strict: issuer without keyUsage extension", underNoKeyUsage.Certificate, [noKeyUsage.Certificate], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.StrictViolation, Flags: ChainVerifyFlags.X509Strict);
        var noAkiIntermediate = TestPki.Custom("CN=No AKI Intermediate").WithoutAuthorityKeyId().IssuedBy(pki.Root).Valid(Now.AddDays(-1), Now.AddDays(30)).Build();
        var underNoAki = TestPki.Custom("CN=under no-aki").AsLeaf().IssuedBy(noAkiIntermediate).Valid(Now.AddDays(-1), Now.AddDays(1)).Build().Certificate;
        yield return new("intermediate without AKI", underNoAki, [noAkiIntermediate.Certificate], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.Valid);
        yield return new("strict: intermediate without AKI", underNoAki, [noAkiIntermediate.Certificate], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.StrictViolation, Flags: ChainVerifyFlags.X509Strict);
        var noSkiRoot = TestPki.Custom("CN=No SKI Root").WithoutKeyIdentifiers().Valid(Now.AddDays(-1), Now.AddDays(30)).Build();
        var underNoSki = TestPki.Custom("CN=under no-ski").AsLeaf().WithoutKeyIdentifiers().IssuedBy(noSkiRoot).Valid(Now.AddDays(-1), Now.AddDays(1)).Build().Certificate;
        yield return new("strict: root without SKI", underNoSki, [], TrustBundle.Of(noSkiRoot.Certificate), Now, TlsPurpose.Any, ChainStatus.StrictViolation, Flags: ChainVerifyFlags.X509Strict);
        var signingLeaf = TestPki.Custom("CN=leaf with keyCertSign").AsLeaf().KeyUsageBits(KeyUsage.DigitalSignature | KeyUsage.KeyCertSign).IssuedBy(pki.Intermediate).Valid(Now.AddHours(-1), Now.AddHours(1)).Build().Certificate;
        yield return new("strict: keyCertSign on a leaf", signingLeaf, untrusted, pki.Bundle, Now, TlsPurpose.Any, ChainStatus.StrictViolation, Flags: ChainVerifyFlags.X509Strict);

        // Cross-signed intermediate: same name and key under the old and the new root; only the bundle decides which path works.
        // openssl takes the first matching untrusted certificate and does not backtrack, so it fails one ordering or the
        // other; we search every path (like Go's verifier), hence these are not compared with openssl.
        var newRoot = TestPki.Root(Now, "CN=Root New");
        var crossKey = pki.Intermediate.Key;
        var crossSigned = TestPki.Custom(pki.Intermediate.Certificate.Subject).WithKey(crossKey).IssuedBy(newRoot).Valid(Now.AddDays(-1), Now.AddDays(30)).Build().Certificate;
        yield return new("cross-signed intermediate, new root trusted", leaf, [pki.Intermediate.Certificate, crossSigned], TrustBundle.Of(newRoot.Certificate), Now, TlsPurpose.Any, ChainStatus.Valid, ComparableWithOpenssl: false);
        yield return new("cross-signed intermediate, old root trusted", leaf, [crossSigned, pki.Intermediate.Certificate], pki.Bundle, Now, TlsPurpose.Any, ChainStatus.Valid, ComparableWithOpenssl: false);
    }
}

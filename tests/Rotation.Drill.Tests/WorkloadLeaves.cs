using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Rotation.Core.Pki;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.Tests;

/// <summary>Leaves for standalone test workloads: proper ones from the product's factory, odd ones straight from BouncyCastle.</summary>
internal static class WorkloadLeaves
{
    public static WorkloadCredential Proper(SimulatedWorkload workload, CertificateWithKey issuer, TimeSpan? lifetime = null, string? spiffeId = null)
    {
        var now = DateTimeOffset.UtcNow;
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var request = new LeafRequest($"CN={workload.DnsName}", now.AddMinutes(-5), now + (lifetime ?? TimeSpan.FromHours(1)), [workload.DnsName], [spiffeId ?? workload.SpiffeId]);
        return new WorkloadCredential(new CertificateWithKey(CertificateFactory.IssueLeaf(request, key, issuer), key), [issuer.Certificate]);
    }

    /// <summary>A leaf with exactly <paramref name="usages"/> as its EKU (the product always mints both serverAuth and clientAuth).</summary>
    public static WorkloadCredential WithUsages(SimulatedWorkload workload, CertificateWithKey issuer, params KeyPurposeID[] usages)
    {
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var publicKey = new X509CertificateParser()
            .ReadCertificate(CertificateFactory.CreateRoot(new RootCaRequest("CN=probe", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(1)), key).Der.ToArray())
            .GetPublicKey();
        var generator = new X509V3CertificateGenerator();
        var serial = new byte[16];
        System.Security.Cryptography.RandomNumberGenerator.Fill(serial);
        generator.SetSerialNumber(new BigInteger(1, serial));
        generator.SetSubjectDN(new X509Name($"CN={workload.DnsName}"));
        generator.SetIssuerDN(new X509Name(issuer.Certificate.Subject));
        generator.SetNotBefore(DateTime.UtcNow.AddMinutes(-5));
        generator.SetNotAfter(DateTime.UtcNow.AddHours(1));
        generator.SetPublicKey(publicKey);
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.DigitalSignature));
        generator.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(usages));
        generator.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames(
        [
            new GeneralName(GeneralName.DnsName, workload.DnsName),
            new GeneralName(GeneralName.UniformResourceIdentifier, workload.SpiffeId),
        ]));
        generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, new AuthorityKeyIdentifier(Convert.FromHexString(issuer.Certificate.SubjectKeyId!)));
        var signer = new Asn1SignatureFactory("SHA256WITHECDSA", PrivateKeyFactory.CreateKey(issuer.Key.ExportPkcs8Der()));
        var leaf = Certificate.FromDer(generator.Generate(signer).GetEncoded());
        return new WorkloadCredential(new CertificateWithKey(leaf, key), [issuer.Certificate]);
    }
}

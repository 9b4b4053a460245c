using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities.Adoption;

/// <summary>
/// What an adopted CA must be, one clear error each (key matches, CA:TRUE and keyCertSign, chain verifies, in its
/// validity period), and the deviations real meshes run on that are accepted with a warning line each: Istio's legacy
/// samples/certs CAs have no subject/authority key identifiers, a non-critical basicConstraints and a root without
/// keyUsage.
/// </summary>
public static class AdoptionChecks
{
    private const string BasicConstraintsOid = "2.5.29.19";

    /// <summary>Throws <see cref="DomainException"/> on the first problem; returns the warnings and the root the issuer chains to.</summary>
    public static (Certificate IssuingRoot, IReadOnlyList<string> Warnings) Run(AdoptionSource source, DateTimeOffset now)
    {
        var warnings = new List<string>();
        if (source.Roots.Count == 0)
            throw new DomainException($"{source.Origin} holds no root certificate: supply the trust bundle (root-cert.pem, ca.crt or root_ca.crt)");

        foreach (var root in source.Roots)
        {
            if (!root.IsSelfSigned)
                throw new DomainException($"{source.Origin}: '{root.Subject}' in the trust bundle is not a self-signed root (issued by '{root.Issuer}'): a bundle holds roots only; remove it or supply its root");
            CheckCa(root, "root", source.Origin, now, warnings);
        }

        if (source.Intermediate.IsSelfSigned)
            throw new DomainException($"{source.Origin}: the issuer '{source.Intermediate.Subject}' is self-signed, a root that signs workloads itself: Rotation manages a root with an issuing intermediate under it; issue an intermediate from this root and adopt that");
        CheckCa(source.Intermediate, "intermediate", source.Origin, now, warnings);

        if (!source.IntermediateKey.Matches(source.Intermediate))
            throw new DomainException($"{source.Origin}: the issuer key does not match the issuer certificate '{source.Intermediate.Subject}': supply the key that was issued with it");

        var issuingRoot = source.Roots.FirstOrDefault(r => source.Intermediate.IsSignedBy(r));
        if (issuingRoot is null)
        {
            var between = source.Chain.FirstOrDefault(c => !c.IsSelfSigned && !c.Equals(source.Intermediate) && source.Intermediate.IsSignedBy(c));
            throw new DomainException(between is not null
                ? $"{source.Origin}: the issuer '{source.Intermediate.Subject}' is signed by intermediate '{between.Subject}', not by a root: Rotation manages a root with its issuing intermediate directly under it and would drop '{between.Subject}' from every chain it writes; issue a new issuing intermediate straight from the root{RootOf(between, source)} and adopt that, or create a new domain ('rotation init') and move the mesh to it"
                : $"{source.Origin}: the chain does not verify: issuer '{source.Intermediate.Subject}' is not signed by any root in the bundle ({string.Join(", ", source.Roots.Select(r => $"'{r.Subject}'"))}); supply the root that issued it");
        }

        if (source.RootKey is { } rootKey && !rootKey.Matches(issuingRoot))
            throw new DomainException($"{source.Origin}: the root key does not match root '{issuingRoot.Subject}': supply the root's own key, or leave it out (a root rotation does not need it)");

        if (source.Intermediate.NotAfter > issuingRoot.NotAfter)
            warnings.Add($"intermediate '{source.Intermediate.Subject}' outlives its root (until {source.Intermediate.NotAfter:u}, root until {issuingRoot.NotAfter:u}): peers stop trusting it when the root expires");

        foreach (var extra in source.Chain.Where(c => !c.Equals(source.Intermediate) && !source.Roots.Contains(c)))
        {
            if (extra.IsSelfSigned)
                warnings.Add($"the chain holds root '{extra.Subject}' (sha256:{extra.Sha256}) that is not in the trust bundle: it is not adopted as trusted");
        }

        return (issuingRoot, warnings);
    }

    private static string RootOf(Certificate between, AdoptionSource source) =>
        source.Roots.FirstOrDefault(r => between.IsSignedBy(r)) is { } root ? $" '{root.Subject}'" : string.Empty;

    private static void CheckCa(Certificate certificate, string role, string origin, DateTimeOffset now, List<string> warnings)
    {
        var name = $"{role} '{certificate.Subject}'";
        if (!certificate.IsCa)
            throw new DomainException($"{origin}: {name} is not a CA (basicConstraints CA:TRUE missing): it cannot sign certificates; supply the CA certificate");
        if (certificate.HasKeyUsageExtension && !certificate.HasKeyCertSign)
            throw new DomainException($"{origin}: {name} has keyUsage without keyCertSign: peers refuse what it signs; supply a CA certificate whose keyUsage includes keyCertSign");
        if (certificate.NotAfter <= now)
            throw new DomainException($"{origin}: {name} expired at {certificate.NotAfter:u}: an expired CA cannot be adopted; issue a new one ('rotation init') and move the mesh to it");
        if (certificate.NotBefore > now)
            throw new DomainException($"{origin}: {name} is not valid until {certificate.NotBefore:u}: check the clock, or adopt it once it is valid");

        if (!certificate.HasKeyUsageExtension)
            warnings.Add($"{name} has no keyUsage extension (accepted: peers then allow any use; RFC 5280 wants keyCertSign on CAs)");
        if (certificate.SubjectKeyId is null)
            warnings.Add($"{name} has no subject key identifier (accepted: chains are built by name; certificates Rotation issues carry it)");
        if (role != "root" && certificate.AuthorityKeyId is null)
            warnings.Add($"{name} has no authority key identifier (accepted: chains are built by name)");
        using var x509 = certificate.ToX509Certificate2();
        if (x509.Extensions[BasicConstraintsOid] is { Critical: false })
            warnings.Add($"{name} has a basicConstraints extension that is not critical (accepted: RFC 5280 wants it critical on CAs, 'openssl verify -x509_strict' refuses it)");
    }
}

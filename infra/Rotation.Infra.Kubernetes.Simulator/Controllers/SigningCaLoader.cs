using Rotation.Core.Pki;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>A signing CA as a mesh control plane loads it: certificate and key, its chain, verified against roots.</summary>
public sealed record LoadedSigningCa(CertificateWithKey Ca, IReadOnlyList<Certificate> Chain, TrustBundle Roots);

/// <summary>
/// Loads a mesh's signing CA from PEM and verifies its chain against the trust roots, as istiod and Linkerd's
/// identity controller do before they start signing with a new CA. Returns the refusal reason instead on failure.
/// </summary>
public static class SigningCaLoader
{
    public static (LoadedSigningCa? Loaded, string? Error) Load(string? chainPem, string? keyPem, string? rootsPem, DateTimeOffset now, string what)
    {
        if (chainPem is null || keyPem is null || rootsPem is null)
        {
            return (null, $"{what}: certificate, key or trust roots are missing");
        }

        try
        {
            var read = Pem.ReadCertificates(chainPem, what);
            var chain = read.Take(1).Concat(read.Skip(1).Where(c => c.Sha256 != read[0].Sha256)).ToList();
            var ca = CertificateWithKey.Create(chain[0], PrivateKey.FromPem(keyPem));
            var roots = TrustBundle.FromPem(rootsPem, $"{what} trust roots");
            var verification = ChainVerifier.Verify(chain[0], chain.Skip(1), roots, now);
            return verification.IsValid
                ? (new LoadedSigningCa(ca, chain, roots), null)
                : (null, $"{what}: does not verify against the trust roots: {verification.Reason}");
        }
        catch (PkiException e)
        {
            return (null, $"{what}: {e.Message}");
        }
    }
}

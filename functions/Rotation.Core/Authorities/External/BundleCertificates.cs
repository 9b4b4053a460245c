using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities.External;

/// <summary>Reads a PEM file for `rotation scan --bundle`, as strictly as `rotation verify` reads one (<see cref="PemFile"/>).</summary>
public static class BundleCertificates
{
    public static IReadOnlyList<FoundCertificate> Read(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new DomainException($"bundle file '{full}' does not exist: pass a PEM file of certificates (a trust bundle, a chain, or a CA certificate)");
        var text = File.ReadAllText(full);
        return PemFile.ReadCertificates(text, full).Select(c => new FoundCertificate(full, c)).ToList();
    }
}

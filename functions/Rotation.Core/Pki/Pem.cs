namespace Rotation.Core.Pki;

/// <summary>PEM reading and writing for certificates, chains and bundles.</summary>
public static partial class Pem
{
    private const string Expected = "expected '-----BEGIN CERTIFICATE-----' blocks";

    /// <summary>
    /// Every CERTIFICATE block in <paramref name="text"/>, in order; text between blocks is ignored.
    /// Throws PkiException naming <paramref name="sourceName"/> when there is none or a block is malformed.
    /// </summary>
    public static IReadOnlyList<Certificate> ReadCertificates(string text, string sourceName = "input")
    {
        var certificates = new List<Certificate>();
        foreach (var (label, body) in PemText.Blocks(text ?? string.Empty))
        {
            if (label != "CERTIFICATE")
            {
                continue;
            }

            var index = certificates.Count + 1;
            if (body is null)
            {
                throw new PkiException($"{sourceName}: certificate block {index} has no '-----END CERTIFICATE-----' line; fix or re-export the file");
            }

            var der = PemText.Decode(body)
                ?? throw new PkiException($"{sourceName}: certificate block {index} is not valid base64; fix or re-export the file");
            try
            {
                certificates.Add(Certificate.FromDer(der));
            }
            catch (PkiException ex)
            {
                throw new PkiException($"{sourceName}: certificate block {index} is not a valid X.509 certificate; fix or re-export the file", ex);
            }
        }

        return certificates.Count > 0
            ? certificates
            : throw new PkiException($"{sourceName}: no PEM certificate found: {Expected}");
    }

    /// <summary>Concatenated PEM blocks, newline terminated, no comments.</summary>
    public static string WriteCertificates(IEnumerable<Certificate> certificates) =>
        string.Concat(certificates.Select(certificate => certificate.ToPem()));
}

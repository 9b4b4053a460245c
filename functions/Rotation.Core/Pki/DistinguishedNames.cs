using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;

namespace Rotation.Core.Pki;

internal static class DistinguishedNames
{
    public static X509Name Parse(string dn, string what, bool allowEmpty)
    {
        if (string.IsNullOrWhiteSpace(dn))
        {
            // Istio-style workload certificates carry their identity only in the SAN.
            return allowEmpty
                ? new X509Name(new List<DerObjectIdentifier>(), new List<string>())
                : throw new PkiException($"{what} is empty: give a distinguished name such as 'CN=Root A,O=mesh.example.internal'");
        }

        try
        {
            return new X509Name(dn);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new PkiException($"{what} '{dn}' is not a distinguished name: use the form 'CN=name,O=org'", ex);
        }
    }
}

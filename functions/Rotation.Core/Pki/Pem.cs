namespace Rotation.Core.Pki;

/// <summary>PEM reading and writing for certificates, chains and bundles.</summary>
public static partial class Pem
{
    /// <summary>
    /// Every CERTIFICATE block in <paramref name="text"/>, in order; text between blocks is ignored.
    /// Throws PkiException naming <paramref name="sourceName"/> when there is none or a block is malformed.
    /// </summary>
    public static IReadOnlyList<Certificate> ReadCertificates(string text, string sourceName = "input") => throw new NotImplementedException();

    /// <summary>Concatenated PEM blocks, newline terminated, no comments.</summary>
    public static string WriteCertificates(IEnumerable<Certificate> certificates) => throw new NotImplementedException();
}

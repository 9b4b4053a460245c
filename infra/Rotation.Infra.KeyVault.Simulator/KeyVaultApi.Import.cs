using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Rotation.Infra.KeyVault.Simulator;

/// <summary>
/// certificates/{name}/import, after Azure/azure-rest-api-specs@01c22920
/// specification/keyvault/data-plane/Microsoft.KeyVault/stable/7.5/certificates.json, operation ImportCertificate
/// (body CertificateImportParameters: value (required), pwd, policy, attributes, tags; answer 200 CertificateBundle),
/// and the .NET client that sends it: Azure/azure-sdk-for-net@002971f6
/// sdk/keyvault/Azure.Security.KeyVault.Certificates/src/ImportCertificateOptions.cs, whose WriteProperties writes
/// value as Base64Url of the PFX or PEM bytes. The policy's secret_props.contentType says which of the two it is
/// (default PKCS#12). The imported key becomes the new version's key: signable through keys/sign when its usages allow,
/// and present in the version's secret only when key_props.exportable is true, exactly like a created key.
/// Error wording for malformed content is not taken from a recorded exchange (none was found); the status codes are
/// the spec's default error shape.
/// </summary>
internal sealed partial class KeyVaultApi
{
    private const string PemContentType = "application/x-pem-file";

    private Reply Import(string name, JsonObject body)
    {
        var value = body["value"]?.GetValue<string>() ?? throw new BadRequest("BadParameter", "Property value is required.");
        var policyIn = body["policy"] as JsonObject ?? [];
        var contentType = policyIn["secret_props"]?["contentType"]?.GetValue<string>() ?? "application/x-pkcs12";
        var (key, chain) = contentType == PemContentType
            ? ReadPem(value)
            : ReadPkcs12(value, body["pwd"]?.GetValue<string>());
        using var leaf = X509CertificateLoader.LoadCertificate(chain[0]);
        if (!SamePublicKey(leaf, key))
        {
            throw new BadRequest("BadParameter", "Public key from x509 certificate and key of this instance doesn't match");
        }

        var policy = ImportPolicy(policyIn, leaf, key, contentType);
        var keyProps = ReadKeyProperties(policy);
        var tags = ReadTags(body["tags"]);
        var enabled = body["attributes"]?["enabled"]?.GetValue<bool>() ?? true;
        lock (_gate)
        {
            if (NewVersionTarget(name) is not { } certificate)
            {
                return PendingConflict(name);
            }

            var operation = new SimulatedOperation
            {
                RequestId = Guid.NewGuid().ToString("N"),
                IssuerName = "Unknown",
                Key = key,
                Csr = [],
                KeyProperties = keyProps,
                Policy = Normalize(name, policy, keyProps),
                Tags = tags,
                Enabled = enabled,
            };
            certificate.Policy = operation.Policy;
            var version = AddVersion(name, certificate, operation, chain[0], chain, tags);
            return new Reply(200, BundleJson(version, certificate.Policy));
        }
    }

    /// <summary>The caller's policy, with what the certificate itself says where the caller left it out (subject, usages, key type).</summary>
    private static JsonObject ImportPolicy(JsonObject given, X509Certificate2 leaf, AsymmetricAlgorithm key, string contentType)
    {
        var policy = (JsonObject)given.DeepClone();
        policy["secret_props"] = new JsonObject { ["contentType"] = contentType };
        var x509 = policy["x509_props"] as JsonObject ?? [];
        x509["subject"] ??= leaf.Subject;
        if (x509["key_usage"] is null && leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage)
        {
            x509["key_usage"] = new JsonArray(KeyUsageNames(usage.KeyUsages).Select(u => (JsonNode?)u).ToArray());
        }

        policy["x509_props"] = x509;
        var keyProps = policy["key_props"] as JsonObject ?? [];
        var actualKty = key is ECDsa ? "EC" : "RSA";
        var kty = keyProps["kty"]?.GetValue<string>();
        if (kty is not null && !kty.StartsWith(actualKty, StringComparison.OrdinalIgnoreCase))
        {
            throw new BadRequest("BadParameter", $"The policy's key type {kty} does not match the imported {actualKty} key.");
        }

        keyProps["kty"] = kty ?? actualKty;
        if (key is ECDsa ec)
        {
            keyProps["crv"] ??= ec.KeySize switch { 256 => "P-256", 384 => "P-384", 521 => "P-521", _ => "P-256K" };
        }
        else
        {
            keyProps["key_size"] ??= key.KeySize;
        }

        policy["key_props"] = keyProps;
        return policy;
    }

    private static IEnumerable<string> KeyUsageNames(X509KeyUsageFlags flags)
    {
        if (flags.HasFlag(X509KeyUsageFlags.DigitalSignature)) yield return "digitalSignature";
        if (flags.HasFlag(X509KeyUsageFlags.NonRepudiation)) yield return "nonRepudiation";
        if (flags.HasFlag(X509KeyUsageFlags.KeyEncipherment)) yield return "keyEncipherment";
        if (flags.HasFlag(X509KeyUsageFlags.DataEncipherment)) yield return "dataEncipherment";
        if (flags.HasFlag(X509KeyUsageFlags.KeyAgreement)) yield return "keyAgreement";
        if (flags.HasFlag(X509KeyUsageFlags.KeyCertSign)) yield return "keyCertSign";
        if (flags.HasFlag(X509KeyUsageFlags.CrlSign)) yield return "cRLSign";
    }

    private static (AsymmetricAlgorithm Key, IReadOnlyList<byte[]> Chain) ReadPem(string value)
    {
        // The .NET client sends the PEM bytes Base64Url-encoded; other clients (az, REST callers) send the PEM text.
        var text = value.Contains("-----BEGIN", StringComparison.Ordinal) ? value : Encoding.UTF8.GetString(DecodeBase64Either(value));
        AsymmetricAlgorithm? key = null;
        var chain = new List<byte[]>();
        foreach (var (label, der) in PemBlocks(text))
        {
            switch (label)
            {
                case "CERTIFICATE":
                    chain.Add(der);
                    break;
                case "PRIVATE KEY" when key is null:
                    key = LoadPkcs8(der);
                    break;
                case "EC PRIVATE KEY" when key is null:
                    var ec = ECDsa.Create();
                    ec.ImportECPrivateKey(der, out _);
                    key = ec;
                    break;
                case "RSA PRIVATE KEY" when key is null:
                    var rsa = RSA.Create();
                    rsa.ImportRSAPrivateKey(der, out _);
                    key = rsa;
                    break;
            }
        }

        if (key is null || chain.Count == 0)
        {
            throw new BadRequest("BadParameter", "The specified PEM X.509 certificate content is in an unexpected format: it needs a private key and at least one certificate.");
        }

        return (key, chain);
    }

    private static (AsymmetricAlgorithm Key, IReadOnlyList<byte[]> Chain) ReadPkcs12(string value, string? password)
    {
        X509Certificate2Collection collection;
        try
        {
            collection = X509CertificateLoader.LoadPkcs12Collection(DecodeBase64Either(value), password, X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException)
        {
            throw new BadRequest("BadParameter", "The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid PKCS#12 format.");
        }

        var withKey = collection.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new BadRequest("BadParameter", "The specified PKCS#12 X.509 certificate content has no private key.");
        AsymmetricAlgorithm key = (AsymmetricAlgorithm?)withKey.GetECDsaPrivateKey() ?? withKey.GetRSAPrivateKey()
            ?? throw new BadRequest("BadParameter", "The imported key is neither EC nor RSA.");
        var chain = new List<byte[]> { withKey.RawData };
        chain.AddRange(collection.Where(c => !ReferenceEquals(c, withKey)).Select(c => c.RawData));
        return (key, chain);
    }

    private static AsymmetricAlgorithm LoadPkcs8(byte[] der)
    {
        try
        {
            var ec = ECDsa.Create();
            ec.ImportPkcs8PrivateKey(der, out _);
            return ec;
        }
        catch (CryptographicException)
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(der, out _);
            return rsa;
        }
    }

    private static IEnumerable<(string Label, byte[] Der)> PemBlocks(string text)
    {
        var rest = text.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            var label = rest.Span[fields.Label].ToString();
            var der = Convert.FromBase64String(rest.Span[fields.Base64Data].ToString());
            yield return (label, der);
            rest = rest[fields.Location.End..];
        }
    }

    private static byte[] DecodeBase64Either(string value)
    {
        var standard = value.Replace('-', '+').Replace('_', '/');
        standard = standard.PadRight(standard.Length + ((4 - (standard.Length % 4)) % 4), '=');
        try
        {
            return Convert.FromBase64String(standard);
        }
        catch (FormatException)
        {
            throw new BadRequest("BadParameter", "Property value is not base64.");
        }
    }
}

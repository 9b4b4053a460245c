using System.Text.RegularExpressions;

namespace Rotation.Infra.KeyVault.Simulator;

/// <summary>
/// Which object names the service accepts, and how it refuses the others.
///
/// The rule: "The name must be a 1-127 character string, containing only 0-9, a-z, A-Z, and -"
/// (MicrosoftDocs/azure-security-docs@18f357a9 articles/key-vault/general/about-keys-secrets-certificates.md, table
/// "object-name"); the REST specification declares the same alphabet on the name of a create
/// (Azure/azure-rest-api-specs@01c22920 specification/keyvault/data-plane/Microsoft.KeyVault/stable/7.5/certificates.json,
/// CreateCertificate / ImportCertificate, "certificate-name": "pattern": "^[0-9a-zA-Z-]+$").
///
/// The refusal is a 400 with error code BadParameter and the message "The request URI contains an invalid name: NAME"
/// (the body the Azure SDK for Rust parses in its error-response example for a secret named "secret_name",
/// Azure/azure-sdk-for-rust@d809660d sdk/core/azure_core/examples/core_error_response.rs — a mocked response there,
/// not a recording; the same code and message are reported from the real service for secrets and certificates alike). The service answers it for any operation whose
/// URI carries the name, so the simulator checks every route, not only create. Its "target"/"details" fields are not
/// modelled: the SDK reads code and message only.
/// </summary>
public static partial class KeyVaultObjectNames
{
    public const int MaxLength = 127;

    public static bool IsValid(string? name) => name is { Length: >= 1 and <= MaxLength } && Alphabet().IsMatch(name);

    [GeneratedRegex(@"\A[0-9a-zA-Z-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Alphabet();
}

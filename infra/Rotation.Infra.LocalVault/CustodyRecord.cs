using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rotation.Infra.LocalVault;

/// <summary>
/// What the local custody knows about one key version besides the key: &lt;stem&gt;.custody.json next to
/// &lt;stem&gt;.key.pem. Public data only (the public key, the certificate chain); never key material.
/// A key file without one is a key stored before custody existed: exportable (as it always was), active.
/// </summary>
internal sealed record CustodyRecord
{
    public const string FileSuffix = ".custody.json";

    public required int Version { get; init; }
    public required string Algorithm { get; init; }
    public required bool Exportable { get; init; }
    public required string State { get; init; }
    public string? OperationId { get; init; }
    public string? TrustDomain { get; init; }
    public string? Role { get; init; }

    /// <summary>SubjectPublicKeyInfo, base64.</summary>
    public string? PublicKey { get; init; }

    /// <summary>Attached chain, leaf first, PEM.</summary>
    public IReadOnlyList<string> Chain { get; init; } = [];

    public DateTimeOffset Created { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static CustodyRecord FromJson(byte[] json, string path) =>
        JsonSerializer.Deserialize<CustodyRecord>(json, Json)
        ?? throw new Core.Pki.PkiException($"custody record {path} is empty: restore it from a backup");
}

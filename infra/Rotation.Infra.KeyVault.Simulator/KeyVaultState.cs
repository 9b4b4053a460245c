using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Rotation.Infra.KeyVault.Simulator;

/// <summary>One certificate version with the key and secret Key Vault addresses under the same name and version.</summary>
public sealed class SimulatedCertificateVersion
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required byte[] Der { get; init; }

    /// <summary>The chain as merged (x5c) or just the certificate for a self-signed version; leaf first.</summary>
    public required IReadOnlyList<byte[]> Chain { get; init; }

    /// <summary>The private key: real key material, which never leaves the simulator for a non-exportable key.</summary>
    internal AsymmetricAlgorithm Key { get; init; } = null!;

    public required KeyProperties KeyProperties { get; init; }
    public required JsonObject Policy { get; init; }
    public bool Enabled { get; set; } = true;
    public Dictionary<string, string> Tags { get; set; } = [];
    public required DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; set; }
    public DateTimeOffset NotBefore { get; init; }
    public DateTimeOffset Expires { get; init; }
}

/// <summary>The key_props of a policy: kty (EC, EC-HSM, RSA, RSA-HSM), curve or size, exportable, reuse_key; the key_ops the usages allow.</summary>
public sealed record KeyProperties(string Kty, string? Curve, int? KeySize, bool Exportable, bool ReuseKey, IReadOnlyList<string> KeyOps);

/// <summary>A certificate operation (…/pending).</summary>
internal sealed class SimulatedOperation
{
    public required string RequestId { get; init; }
    public required string IssuerName { get; init; }
    public required AsymmetricAlgorithm Key { get; init; }
    public required byte[] Csr { get; init; }
    public required KeyProperties KeyProperties { get; init; }
    public required JsonObject Policy { get; init; }
    public required Dictionary<string, string> Tags { get; init; }
    public required bool Enabled { get; init; }
    public string Status { get; set; } = "inProgress";
    public string? Target { get; set; }
}

internal sealed class SimulatedCertificate
{
    public List<SimulatedCertificateVersion> Versions { get; } = [];
    public SimulatedOperation? Operation { get; set; }
    public JsonObject? Policy { get; set; }
}

using System.Text.Json.Nodes;

namespace Rotation.Infra.KeyVault.Simulator;

/// <summary>
/// Plain secrets (not a certificate's addressable secret), after Azure/azure-rest-api-specs@0d3bfe4e
/// specification/keyvault/data-plane/Microsoft.KeyVault/stable/7.5/secrets.json: SetSecret (PUT /secrets/{secret-name},
/// body SecretSetParameters: value, contentType, tags, attributes; "If the named secret already exists, Azure Key Vault
/// creates a new version of that secret"; 200 SecretBundle), GetSecret (GET /secrets/{secret-name}/{secret-version},
/// the version "optional. If not specified, the latest version of the secret is returned"), and GetSecretVersions
/// (GET /secrets/{secret-name}/versions, SecretListResult of SecretItem: id, attributes, tags, contentType; pageable by
/// nextLink, one page here). The AKS Istio add-on's plug-in CA is four such secrets, read by the CSI driver.
/// </summary>
internal sealed partial class KeyVaultApi
{
    private readonly Dictionary<string, List<SimulatedSecretVersion>> _secrets = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The versions of the plain secret <paramref name="name"/>, oldest first (a snapshot).</summary>
    public IReadOnlyList<SimulatedSecretVersion> SecretVersions(string name)
    {
        lock (_gate)
        {
            return _secrets.TryGetValue(name, out var versions) ? versions.ToList() : [];
        }
    }

    private bool HasCertificate(string name)
    {
        lock (_gate)
        {
            return _certificates.ContainsKey(name);
        }
    }

    private Reply SetSecret(string name, JsonObject body)
    {
        var value = body["value"]?.GetValue<string>() ?? throw new BadRequest("BadParameter", "Property value is required.");
        var now = time.GetUtcNow();
        var version = new SimulatedSecretVersion
        {
            Name = name,
            Version = Guid.NewGuid().ToString("N"),
            Value = value,
            ContentType = body["contentType"]?.GetValue<string>(),
            Tags = ReadTags(body["tags"]),
            Enabled = body["attributes"]?["enabled"]?.GetValue<bool>() ?? true,
            Created = now,
        };
        lock (_gate)
        {
            // A certificate's secret changes only through the certificate (about-certificates.md, "Composition of a certificate").
            if (_certificates.ContainsKey(name))
            {
                return Error(409, "Conflict", $"Secret {name} is managed by a certificate and cannot be set directly.");
            }

            if (!_secrets.TryGetValue(name, out var versions))
            {
                _secrets[name] = versions = [];
            }

            versions.Add(version);
        }

        return new Reply(200, SecretJson(version, withValue: true));
    }

    private Reply GetPlainSecret(string name, string? version)
    {
        lock (_gate)
        {
            var found = _secrets.TryGetValue(name, out var versions)
                ? version is null ? versions[^1] : versions.FirstOrDefault(v => v.Version == version)
                : null;
            if (found is null)
            {
                return Error(404, "SecretNotFound", $"A secret with (name/id) {name}/{version} was not found in this key vault.");
            }

            return found.Enabled
                ? new Reply(200, SecretJson(found, withValue: true))
                : Error(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
        }
    }

    private Reply ListSecretVersions(string name)
    {
        lock (_gate)
        {
            var versions = _secrets.TryGetValue(name, out var list) ? list : [];
            return new Reply(200, new JsonObject
            {
                ["value"] = new JsonArray(versions.Select(v => (JsonNode?)SecretJson(v, withValue: false)).ToArray()),
                ["nextLink"] = null,
            });
        }
    }

    private JsonObject SecretJson(SimulatedSecretVersion v, bool withValue)
    {
        var json = new JsonObject
        {
            ["id"] = $"{vault.Base}/secrets/{v.Name}/{v.Version}",
            ["attributes"] = new JsonObject
            {
                ["enabled"] = v.Enabled,
                ["created"] = v.Created.ToUnixTimeSeconds(),
                ["updated"] = v.Created.ToUnixTimeSeconds(),
                ["recoveryLevel"] = "Recoverable+Purgeable",
                ["recoverableDays"] = 90,
            },
            ["tags"] = TagsJson(v.Tags),
        };
        if (withValue)
        {
            json["value"] = v.Value;
        }

        if (v.ContentType is not null)
        {
            json["contentType"] = v.ContentType;
        }

        return json;
    }
}

/// <summary>One version of a plain secret.</summary>
public sealed class SimulatedSecretVersion
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string Value { get; init; }
    public string? ContentType { get; init; }
    public Dictionary<string, string> Tags { get; init; } = [];
    public bool Enabled { get; init; } = true;
    public required DateTimeOffset Created { get; init; }
}

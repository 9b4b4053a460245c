using Azure;
using Azure.Security.KeyVault.Secrets;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets.AksIstio;

/// <summary>
/// The four Key Vault secrets of the add-on's plug-in CA, read and written through the Key Vault Secrets API. Values
/// are PEM and never appear in a message; a secret that cannot be read or written makes the target unavailable,
/// naming the vault, the secret and the service's answer.
/// </summary>
internal sealed class PluginCaVault
{
    private const string PemContentType = "application/x-pem-file";
    private readonly SecretClient _client;
    private readonly string _target;
    private readonly string _cluster;

    public PluginCaVault(SecretClient client, string target, string cluster)
    {
        _client = client;
        _target = target;
        _cluster = cluster;
    }

    public Uri VaultUri => _client.VaultUri;

    /// <summary>One secret's latest version; <see cref="Value"/> null when the secret does not exist.</summary>
    public sealed record Held(string Name, string? Value, string? Version, DateTimeOffset? CreatedOn, IReadOnlyDictionary<string, string> Tags)
    {
        public string Location(Uri vault) => $"key vault {vault.Host} secret {Name}";
    }

    public async Task<Held> ReadAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var secret = (await _client.GetSecretAsync(name, cancellationToken: cancellationToken)).Value;
            return new Held(name, secret.Value, secret.Properties.Version, secret.Properties.CreatedOn, new Dictionary<string, string>(secret.Properties.Tags));
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return new Held(name, null, null, null, new Dictionary<string, string>());
        }
        catch (Exception ex) when (IsServiceFailure(ex))
        {
            throw Unavailable($"reading secret {name}", ex);
        }
    }

    /// <summary>Writes a new version of <paramref name="name"/> stamped with the rotation and phase (tags, as Rotation stamps Kubernetes objects).</summary>
    public async Task WriteAsync(string name, string value, RotationWriteContext context, string previous, CancellationToken cancellationToken)
    {
        var secret = new KeyVaultSecret(name, value);
        secret.Properties.ContentType = PemContentType;
        secret.Properties.Tags[ManagedMetadata.ManagedByLabel] = ManagedMetadata.ManagedByValue;
        secret.Properties.Tags[ManagedMetadata.RotationIdAnnotation] = context.RotationId;
        secret.Properties.Tags[ManagedMetadata.PhaseAnnotation] = context.Phase.ToString();
        secret.Properties.Tags[ManagedMetadata.PreviousAnnotation] = previous;
        try
        {
            await _client.SetSecretAsync(secret, cancellationToken);
        }
        catch (Exception ex) when (IsServiceFailure(ex))
        {
            throw Unavailable($"writing secret {name}", ex);
        }
    }

    /// <summary>What the vault or the way to it answered; the SDK wraps the attempts of an exhausted retry in an AggregateException.</summary>
    private static bool IsServiceFailure(Exception ex) => ex switch
    {
        RequestFailedException or Azure.Identity.AuthenticationFailedException or HttpRequestException or TimeoutException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsServiceFailure),
        _ => false,
    };

    private TargetUnavailableException Unavailable(string what, Exception ex) =>
        new(_target, $"cluster '{_cluster}': key vault {_client.VaultUri.Host}: {what}: {Answer(ex)}", ex);

    private static string Answer(Exception ex) => ex switch
    {
        AggregateException aggregate => $"{Answer(aggregate.InnerExceptions[^1])} (after {aggregate.InnerExceptions.Count} attempts)",
        RequestFailedException { Status: 0 } r => r.Message.Split('\n')[0],
        RequestFailedException r => $"{r.Status} {r.ErrorCode ?? "(no error code)"}",
        _ => ex.Message.Split('\n')[0],
    };
}

using Azure.Core;

namespace Rotation.Infra.Composition;

/// <summary>
/// Optional hooks on the options of the Azure clients the adapters build (transport, retry, diagnostics): production
/// registers none; tests route each client to its loopback test server with a transport that trusts only the test CA.
/// </summary>
public sealed class AzureClientSetup
{
    /// <summary>Applied to the Key Vault certificates, secrets and keys/sign clients.</summary>
    public Action<ClientOptions>? KeyVault { get; init; }

    /// <summary>Applied to the Table Storage client.</summary>
    public Action<ClientOptions>? Tables { get; init; }

    /// <summary>Applied to the Event Grid publisher client (after its own retries are turned off: the outbox publisher owns them).</summary>
    public Action<ClientOptions>? EventGrid { get; init; }

    /// <summary>The HTTP client of the webhook sink (null: the sink makes its own).</summary>
    public Func<HttpClient>? WebhookHttpClient { get; init; }
}

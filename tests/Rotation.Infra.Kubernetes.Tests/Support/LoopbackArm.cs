using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Azure.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rotation.Infra.Kubernetes.Tests.Support;

/// <summary>
/// ARM on loopback answering listClusterUserCredential with the simulated API server's kubeconfig (cluster entry
/// only is used), so an AKS registration reaches the simulator with an Entra token.
/// </summary>
public sealed class LoopbackArm : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackArm(WebApplication app) => _app = app;

    public ConcurrentQueue<string> Calls { get; } = new();

    public Uri Endpoint => new(_app.Urls.First() + "/");

    /// <param name="kubeconfig">The kubeconfig ARM returns, read at each call (the API server may start after ARM).</param>
    public static async Task<LoopbackArm> StartAsync(Func<string> kubeconfig)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var arm = new LoopbackArm(app);
        app.Run(async context =>
        {
            arm.Calls.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString} {context.Request.Headers.Authorization}");
            var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(kubeconfig()));
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"kubeconfigs":[{"name":"clusterUser","value":"{{encoded}}"}]}""");
        });
        await app.StartAsync();
        return arm;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>One Entra credential handing out a token per scope (ARM, the AKS API server, Key Vault) and recording the scopes asked for.</summary>
public sealed class ScopedCredential(IReadOnlyDictionary<string, string> tokens) : TokenCredential
{
    public ConcurrentQueue<string> Scopes { get; } = new();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        var scope = requestContext.Scopes.Single();
        Scopes.Enqueue(scope);
        return new AccessToken(tokens.TryGetValue(scope, out var token) ? token : "no-token-for-" + scope, DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}

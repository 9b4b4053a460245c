using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Rotation.Core.Domain;
using Rotation.Infra.Kubernetes.Clusters;

namespace Rotation.Functions.Http;

/// <summary>POST /api/clusters.</summary>
public sealed record RegisterClusterRequest(
    string? Name,
    string? Domain,
    string? Connection,
    string? KubeconfigPath,
    string? Context,
    string? AksResourceId,
    IReadOnlyList<TargetSpec>? Targets);

/// <summary>The cluster registry over HTTP: GET lists, POST registers, DELETE /api/clusters/{name} unregisters. The registry validates.</summary>
public sealed class ClusterApi(ClusterRegistry registry)
{
    [Function("Clusters")]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", "post", "delete", Route = "clusters/{name?}")] HttpRequest request,
        string? name,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return request.Method.ToUpperInvariant() switch
            {
                "GET" => ApiResult.Ok(await registry.ListAsync(NullIfEmpty(request.Query["domain"].ToString()), cancellationToken)),
                "POST" => await RegisterAsync(request, cancellationToken),
                "DELETE" => await RemoveAsync(request, name, cancellationToken),
                _ => new ApiResult(StatusCodes.Status405MethodNotAllowed, null),
            };
        }
        catch (Exception ex) when (Problems.IsApiProblem(ex))
        {
            return Problems.FromException(request, ex);
        }
    }

    private async Task<IActionResult> RegisterAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, errors) = await RequestBodies.ReadAsync<RegisterClusterRequest>(request, required: true, cancellationToken);
        ClusterConnectionKind connection = default;
        if (body is not null)
        {
            if (string.IsNullOrWhiteSpace(body.Name))
                RequestBodies.Add(errors, "name", "is required");
            if (string.IsNullOrWhiteSpace(body.Domain))
                RequestBodies.Add(errors, "domain", "is required");
            if (!Enum.TryParse(body.Connection, ignoreCase: true, out connection) || connection == ClusterConnectionKind.Simulated || int.TryParse(body.Connection, out _))
                RequestBodies.Add(errors, "connection", $"'{body.Connection}' is not a connection: use 'aks', 'kubeconfig' or 'inCluster'");
            if (body.Targets is null || body.Targets.Count == 0)
                RequestBodies.Add(errors, "targets", "at least one target is required, e.g. [{\"kind\":\"istio\",\"options\":{}}]");
        }

        if (errors.Count > 0 || body is null)
            return Problems.Validation(request, errors);
        var registration = await registry.AddAsync(new ClusterAddRequest(
            body.Name!, body.Domain!, connection, body.KubeconfigPath, body.Context, body.AksResourceId,
            [.. body.Targets!.Select(t => t with { Options = t.Options ?? new Dictionary<string, string>() })]), cancellationToken);
        var result = new ApiResult(StatusCodes.Status201Created, registration);
        result.Headers["Location"] = $"{request.Scheme}://{request.Host}{request.PathBase}/api/clusters/{Uri.EscapeDataString(registration.Name)}";
        return result;
    }

    private async Task<IActionResult> RemoveAsync(HttpRequest request, string? name, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name))
            return Problems.Validation(request, new Dictionary<string, string[]> { ["name"] = ["DELETE needs the cluster in the path: /api/clusters/{name}"] });
        await registry.RemoveAsync(name, cancellationToken);
        return new ApiResult(StatusCodes.Status204NoContent, null);
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

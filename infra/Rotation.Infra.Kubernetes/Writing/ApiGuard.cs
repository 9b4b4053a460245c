using System.Net;
using k8s.Autorest;
using Rotation.Core.Ports;

namespace Rotation.Infra.Kubernetes.Writing;

/// <summary>
/// Runs one API interaction of a target and turns "cannot reach or read the cluster" into
/// <see cref="TargetUnavailableException"/> naming the target (and so the cluster), which makes the engine hold the gate.
/// </summary>
internal static class ApiGuard
{
    public static async Task<T> RunAsync<T>(string target, string cluster, string what, Func<Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw new TargetUnavailableException(target, $"cluster '{cluster}': {what} failed: {Reason(ex)}", ex);
        }
    }

    public static async Task RunAsync(string target, string cluster, string what, Func<Task> action, CancellationToken cancellationToken) =>
        await RunAsync<bool>(target, cluster, what, async () =>
        {
            await action();
            return true;
        }, cancellationToken);

    private static bool IsUnavailable(Exception ex) => ex switch
    {
        HttpOperationException http => http.Response?.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            or HttpStatusCode.TooManyRequests or HttpStatusCode.Conflict || (int?)http.Response?.StatusCode >= 500,
        HttpRequestException or IOException or OperationCanceledException => true,
        _ => false,
    };

    private static string Reason(Exception ex) => ex switch
    {
        HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden } http =>
            $"forbidden ({KubeErrors.Describe(http)}); grant the RBAC in docs/targets.md",
        HttpOperationException { Response.StatusCode: HttpStatusCode.Unauthorized } =>
            "unauthorized: the credentials were rejected; refresh the kubeconfig or the Entra ID login",
        HttpOperationException { Response.StatusCode: HttpStatusCode.Conflict } http =>
            $"kept conflicting after retries ({KubeErrors.Describe(http)}); something else keeps writing the object",
        HttpOperationException http => KubeErrors.Describe(http),
        OperationCanceledException => "timed out",
        _ => $"{ex.GetType().Name}: {KubeErrors.Describe(ex)}",
    };
}

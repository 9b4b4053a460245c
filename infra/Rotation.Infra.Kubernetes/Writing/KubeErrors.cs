using System.Net;
using k8s.Autorest;

namespace Rotation.Infra.Kubernetes.Writing;

/// <summary>Classifies API server errors the adapter reacts to.</summary>
internal static class KubeErrors
{
    public static HttpStatusCode? Status(Exception ex) => (ex as HttpOperationException)?.Response?.StatusCode;

    public static bool IsNotFound(Exception ex) => Status(ex) == HttpStatusCode.NotFound;

    /// <summary>A resourceVersion conflict or a create that lost a race: both mean "re-read and decide again".</summary>
    public static bool IsConflict(Exception ex) => Status(ex) == HttpStatusCode.Conflict;

    /// <summary>One line for an operator: the status and the server's message.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        HttpOperationException http => $"HTTP {(int?)http.Response?.StatusCode} {FirstLine(http.Response?.Content)}".TrimEnd(),
        _ => FirstLine(ex.Message),
    };

    private static string FirstLine(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return string.Empty;
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}

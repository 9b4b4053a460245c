using System.Text.Json.Nodes;

namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>A status code and a JSON body, plus any extra headers.</summary>
public sealed record ApiResponse(int StatusCode, string Json, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static ApiResponse Of(int statusCode, JsonNode body, IReadOnlyDictionary<string, string>? headers = null) =>
        new(statusCode, body.ToJsonString(), headers);
}

namespace Rotation.Infra.Kubernetes.Simulator.Store;

/// <summary>A refusal the API server reports as a metav1.Status with this code and reason.</summary>
public sealed class KubeApiException : Exception
{
    public KubeApiException(int code, string reason, string message, ResourceKind? kind = null, string? name = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Kind = kind;
        Name = name;
    }

    public int Code { get; }
    public string Reason { get; }
    public ResourceKind? Kind { get; }
    public string? Name { get; }

    public static KubeApiException NotFound(ResourceKind kind, string name) =>
        new(404, "NotFound", $"{kind} \"{name}\" not found", kind, name);

    public static KubeApiException AlreadyExists(ResourceKind kind, string name) =>
        new(409, "AlreadyExists", $"{kind} \"{name}\" already exists", kind, name);

    public static KubeApiException Conflict(ResourceKind kind, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {kind} \"{name}\": the object has been modified; please apply your changes to the latest version and try again", kind, name);

    public static KubeApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static KubeApiException Invalid(ResourceKind kind, string name, string message) =>
        new(422, "Invalid", $"{kind.Kind} \"{name}\" is invalid: {message}", kind, name);

    public static KubeApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static KubeApiException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml; got '{contentType}'");
}

using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>metav1.Status bodies, as the API server sends them for errors and deletes.</summary>
public static class ApiStatus
{
    public static JsonObject Failure(int code, string reason, string message, ResourceKind? kind = null, string? name = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (kind is not null || name is not null)
        {
            var details = new JsonObject();
            if (name is not null)
            {
                details["name"] = name;
            }

            if (kind is not null)
            {
                if (kind.Group.Length > 0)
                {
                    details["group"] = kind.Group;
                }

                details["kind"] = kind.Plural;
            }

            status["details"] = details;
        }

        status["code"] = code;
        return status;
    }

    public static JsonObject From(KubeApiException e) => Failure(e.Code, e.Reason, e.Message, e.Kind, e.Name);

    public static JsonObject Success(ResourceKind kind, string name, string? uid)
    {
        var details = new JsonObject { ["name"] = name };
        if (kind.Group.Length > 0)
        {
            details["group"] = kind.Group;
        }

        details["kind"] = kind.Plural;
        if (uid is not null)
        {
            details["uid"] = uid;
        }

        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }
}

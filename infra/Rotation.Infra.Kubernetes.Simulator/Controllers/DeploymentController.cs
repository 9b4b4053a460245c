using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// The deployment and replica-set controllers, reduced to what rotation observes: each Deployment gets
/// spec.replicas Running pods built from its template; when the template changes (a rollout restart patches
/// kubectl.kubernetes.io/restartedAt) the old pods are replaced by new ones with new names after the delay.
/// Pods are created through the store, so admission mutators (the Linkerd proxy injector) see them.
/// </summary>
public sealed class DeploymentController : SimulatedMeshController
{
    public const string PodTemplateHashLabel = "pod-template-hash";
    private const string HashAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public DeploymentController(KubeObjectStore store, MeshControllerOptions? options = null)
        : base(store, options)
    {
    }

    protected override bool IsRelevant(ObjectChangedEventArgs change) =>
        change.Kind == ResourceKinds.Deployments || (change.Kind == ResourceKinds.Pods && change.Type == ObjectChangeType.Deleted);

    protected override void Reconcile()
    {
        foreach (var deployment in Store.List(ResourceKinds.Deployments).Items)
        {
            try
            {
                ReconcileDeployment(deployment);
            }
            catch (KubeApiException e) when (e.Code is 404 or 409)
            {
                // Deleted or changed during the pass; the change wakes the next pass.
            }
        }
    }

    /// <summary>The pod-template-hash label value for a template.</summary>
    public static string TemplateHash(JsonNode? template)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(template?.ToJsonString() ?? "{}"));
        return string.Create(10, digest, (span, bytes) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = HashAlphabet[bytes[i] % HashAlphabet.Length];
            }
        });
    }

    private void ReconcileDeployment(JsonObject deployment)
    {
        var ns = KubeObjects.Namespace(deployment)!;
        var name = KubeObjects.Name(deployment)!;
        var template = deployment["spec"]?["template"] as JsonObject ?? [];
        var replicas = (int)(deployment["spec"]?["replicas"] is null ? 1 : KubeObjects.LongAt(deployment["spec"]!["replicas"]));
        var hash = TemplateHash(template);

        var owned = Store.List(ResourceKinds.Pods, ns, pod => IsOwnedBy(pod, name)).Items;
        var current = owned.Where(p => KubeObjects.Labels(p).GetValueOrDefault(PodTemplateHashLabel) == hash).ToList();
        foreach (var stale in owned.Except(current).Concat(current.Skip(replicas)))
        {
            DeleteIfPresent(ns, KubeObjects.Name(stale)!);
        }

        for (var i = current.Count; i < replicas; i++)
        {
            Store.Create(ResourceKinds.Pods, ns, NewPod(ns, name, hash, template), WriteScope.All);
        }

        var generation = KubeObjects.Generation(deployment);
        Store.Modify(ResourceKinds.Deployments, ns, name, d =>
        {
            d["status"] = new JsonObject
            {
                ["observedGeneration"] = generation,
                ["replicas"] = replicas,
                ["updatedReplicas"] = replicas,
                ["readyReplicas"] = replicas,
                ["availableReplicas"] = replicas,
            };
            return d;
        }, WriteScope.Status);
    }

    private static bool IsOwnedBy(JsonObject pod, string deployment)
    {
        var hash = KubeObjects.Labels(pod).GetValueOrDefault(PodTemplateHashLabel);
        return hash is not null && pod["metadata"]?["ownerReferences"] is JsonArray owners
            && owners.Any(o => KubeObjects.StringAt(o, "kind") == "ReplicaSet" && KubeObjects.StringAt(o, "name") == $"{deployment}-{hash}");
    }

    private static JsonObject NewPod(string ns, string deployment, string hash, JsonObject template)
    {
        var replicaSet = $"{deployment}-{hash}";
        var pod = KubeObjects.New(ResourceKinds.Pods, ns, "");
        var metadata = KubeObjects.Metadata(pod);
        metadata.Remove("name");
        metadata["generateName"] = replicaSet + "-";
        var labels = template["metadata"]?["labels"]?.DeepClone() as JsonObject ?? [];
        labels[PodTemplateHashLabel] = hash;
        metadata["labels"] = labels;
        if (template["metadata"]?["annotations"] is JsonObject annotations)
        {
            metadata["annotations"] = annotations.DeepClone();
        }

        metadata["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["name"] = replicaSet,
            ["controller"] = true,
            ["blockOwnerDeletion"] = true,
        });
        pod["spec"] = template["spec"]?.DeepClone() ?? new JsonObject();
        pod["status"] = new JsonObject { ["phase"] = "Running" };
        return pod;
    }

    private void DeleteIfPresent(string ns, string pod)
    {
        try
        {
            Store.Delete(ResourceKinds.Pods, ns, pod);
        }
        catch (KubeApiException e) when (e.Code == 404)
        {
        }
    }
}

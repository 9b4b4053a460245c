using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// The Deployment, StatefulSet and DaemonSet controllers, reduced to what rotation observes: each workload gets
/// its Running pods built from its template (spec.replicas, or one for a DaemonSet on the single simulated node);
/// when the template changes (a rollout restart patches kubectl.kubernetes.io/restartedAt) the old pods are
/// replaced after the delay: Deployment and DaemonSet pods get new names, StatefulSet pods keep their ordinal
/// names. Pods are created through the store, so admission mutators (the Linkerd proxy injector) see them.
/// </summary>
public sealed class WorkloadController : SimulatedMeshController
{
    public const string PodTemplateHashLabel = "pod-template-hash";
    public const string ControllerRevisionHashLabel = "controller-revision-hash";
    private const string HashAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    private static readonly ResourceKind[] WorkloadKinds = [ResourceKinds.Deployments, ResourceKinds.StatefulSets, ResourceKinds.DaemonSets];

    public WorkloadController(KubeObjectStore store, MeshControllerOptions? options = null)
        : base(store, options)
    {
    }

    private readonly HashSet<string> _stuck = new(StringComparer.Ordinal);

    /// <summary>
    /// Fault: from now on, a new template of this workload never becomes available (an image that cannot be pulled, a
    /// pod that never gets ready): new pods are created Pending and not ready, the old ones keep running, and the
    /// status says so, as the real controllers report a rollout that does not progress. <see cref="Unstick"/> ends it.
    /// </summary>
    public void NeverCompleteRollout(ResourceKind kind, string @namespace, string name)
    {
        lock (_stuck)
        {
            _stuck.Add($"{kind.Kind}/{@namespace}/{name}");
        }
    }

    public void Unstick(ResourceKind kind, string @namespace, string name)
    {
        lock (_stuck)
        {
            _stuck.Remove($"{kind.Kind}/{@namespace}/{name}");
        }

        // Wake a pass, as the pod finally getting ready would.
        var workload = Store.TryGet(kind, @namespace, name);
        if (workload is not null)
        {
            Store.Modify(kind, @namespace, name, w =>
            {
                w.Remove("status");
                return w;
            }, WriteScope.Status);
        }
    }

    private bool IsStuck(ResourceKind kind, string ns, string name)
    {
        lock (_stuck)
        {
            return _stuck.Contains($"{kind.Kind}/{ns}/{name}");
        }
    }

    protected override bool IsRelevant(ObjectChangedEventArgs change) =>
        WorkloadKinds.Contains(change.Kind) || (change.Kind == ResourceKinds.Pods && change.Type == ObjectChangeType.Deleted);

    protected override void Reconcile()
    {
        foreach (var kind in WorkloadKinds)
        {
            foreach (var workload in Store.List(kind).Items)
            {
                try
                {
                    ReconcileWorkload(kind, workload);
                }
                catch (KubeApiException e) when (e.Code is 404 or 409)
                {
                    // Deleted or changed during the pass; the change wakes the next pass.
                }
            }
        }
    }

    /// <summary>The template hash label value (pod-template-hash or controller-revision-hash) for a template.</summary>
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

    private void ReconcileWorkload(ResourceKind kind, JsonObject workload)
    {
        var ns = KubeObjects.Namespace(workload)!;
        var name = KubeObjects.Name(workload)!;
        var template = workload["spec"]?["template"] as JsonObject ?? [];
        var replicas = kind == ResourceKinds.DaemonSets ? 1
            : workload["spec"]?["replicas"] is null ? 1 : (int)KubeObjects.LongAt(workload["spec"]!["replicas"]);
        var hash = TemplateHash(template);
        var hashLabel = kind == ResourceKinds.Deployments ? PodTemplateHashLabel : ControllerRevisionHashLabel;

        var owned = Store.List(ResourceKinds.Pods, ns, pod => IsOwnedBy(kind, pod, name, hashLabel)).Items;
        var current = owned.Where(p => KubeObjects.Labels(p).GetValueOrDefault(hashLabel) == hash).Take(replicas).ToList();
        var generation = KubeObjects.Generation(workload);
        var old = owned.Except(current).ToList();
        if (IsStuck(kind, ns, name) && old.Count > 0)
        {
            // The rollout does not progress: one new pod that never gets ready, the old pods kept.
            if (current.Count == 0 && kind != ResourceKinds.StatefulSets)
            {
                var pending = NewPod(kind, ns, name, hash, hashLabel, template, null);
                pending["status"] = new JsonObject { ["phase"] = "Pending" };
                Store.Create(ResourceKinds.Pods, ns, pending, WriteScope.All);
            }

            Store.Modify(kind, ns, name, w =>
            {
                w["status"] = StuckStatus(kind, name, hash, replicas, generation, old.Count);
                return w;
            }, WriteScope.Status);
            return;
        }

        foreach (var stale in old)
        {
            DeleteIfPresent(ns, KubeObjects.Name(stale)!);
        }

        foreach (var pending in current.Where(p => KubeObjects.StringAt(p, "status", "phase") == "Pending"))
        {
            // A pod held back by a stuck rollout gets ready once the fault ends.
            Store.Modify(ResourceKinds.Pods, ns, KubeObjects.Name(pending)!, p =>
            {
                p["status"] = new JsonObject { ["phase"] = "Running", ["startTime"] = KubeObjects.Timestamp(Time.GetUtcNow()) };
                return p;
            }, WriteScope.Status);
        }

        var taken = current.Select(p => KubeObjects.Name(p)!).ToHashSet(StringComparer.Ordinal);
        for (int created = current.Count, ordinal = 0; created < replicas; created++)
        {
            string? podName = null;
            if (kind == ResourceKinds.StatefulSets)
            {
                while (taken.Contains($"{name}-{ordinal}"))
                {
                    ordinal++;
                }

                podName = $"{name}-{ordinal}";
                taken.Add(podName);
            }

            Store.Create(ResourceKinds.Pods, ns, NewPod(kind, ns, name, hash, hashLabel, template, podName), WriteScope.All);
        }

        Store.Modify(kind, ns, name, w =>
        {
            w["status"] = Status(kind, name, hash, replicas, generation);
            return w;
        }, WriteScope.Status);
    }

    private static JsonObject Status(ResourceKind kind, string name, string hash, int replicas, long generation)
    {
        if (kind == ResourceKinds.DaemonSets)
        {
            return new JsonObject
            {
                ["observedGeneration"] = generation,
                ["desiredNumberScheduled"] = replicas,
                ["currentNumberScheduled"] = replicas,
                ["updatedNumberScheduled"] = replicas,
                ["numberReady"] = replicas,
                ["numberAvailable"] = replicas,
                ["numberMisscheduled"] = 0,
            };
        }

        var status = new JsonObject
        {
            ["observedGeneration"] = generation,
            ["replicas"] = replicas,
            ["updatedReplicas"] = replicas,
            ["readyReplicas"] = replicas,
            ["availableReplicas"] = replicas,
        };
        if (kind == ResourceKinds.StatefulSets)
        {
            status["currentReplicas"] = replicas;
            status["currentRevision"] = $"{name}-{hash}";
            status["updateRevision"] = $"{name}-{hash}";
        }

        return status;
    }

    /// <summary>A rollout that does not progress: observed, but the new pods are not available and the old still run.</summary>
    private static JsonObject StuckStatus(ResourceKind kind, string name, string hash, int replicas, long generation, int oldPods)
    {
        if (kind == ResourceKinds.DaemonSets)
        {
            return new JsonObject
            {
                ["observedGeneration"] = generation,
                ["desiredNumberScheduled"] = replicas,
                ["currentNumberScheduled"] = replicas,
                ["updatedNumberScheduled"] = 1,
                ["numberReady"] = 0,
                ["numberAvailable"] = 0,
                ["numberUnavailable"] = replicas,
                ["numberMisscheduled"] = 0,
            };
        }

        var status = new JsonObject
        {
            ["observedGeneration"] = generation,
            ["replicas"] = replicas + (kind == ResourceKinds.StatefulSets ? 0 : 1),
            ["updatedReplicas"] = kind == ResourceKinds.StatefulSets ? 0 : 1,
            ["readyReplicas"] = oldPods,
            ["availableReplicas"] = oldPods,
        };
        if (kind == ResourceKinds.StatefulSets)
        {
            status["currentReplicas"] = replicas;
            status["currentRevision"] = $"{name}-previous";
            status["updateRevision"] = $"{name}-{hash}";
        }

        return status;
    }

    private static (string Kind, string Name) Owner(ResourceKind kind, string workload, string hash) =>
        kind == ResourceKinds.Deployments ? ("ReplicaSet", $"{workload}-{hash}") : (kind.Kind, workload);

    private static bool IsOwnedBy(ResourceKind kind, JsonObject pod, string workload, string hashLabel)
    {
        var hash = KubeObjects.Labels(pod).GetValueOrDefault(hashLabel);
        if (hash is null || pod["metadata"]?["ownerReferences"] is not JsonArray owners)
        {
            return false;
        }

        var (ownerKind, ownerName) = Owner(kind, workload, hash);
        return owners.Any(o => KubeObjects.StringAt(o, "kind") == ownerKind && KubeObjects.StringAt(o, "name") == ownerName);
    }

    private JsonObject NewPod(ResourceKind kind, string ns, string workload, string hash, string hashLabel, JsonObject template, string? podName)
    {
        var (ownerKind, ownerName) = Owner(kind, workload, hash);
        var pod = KubeObjects.New(ResourceKinds.Pods, ns, podName ?? "");
        var metadata = KubeObjects.Metadata(pod);
        if (podName is null)
        {
            metadata.Remove("name");
            metadata["generateName"] = ownerName + "-";
        }

        var labels = template["metadata"]?["labels"]?.DeepClone() as JsonObject ?? [];
        labels[hashLabel] = hash;
        metadata["labels"] = labels;
        if (template["metadata"]?["annotations"] is JsonObject annotations)
        {
            metadata["annotations"] = annotations.DeepClone();
        }

        metadata["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = ownerKind,
            ["name"] = ownerName,
            ["controller"] = true,
            ["blockOwnerDeletion"] = true,
        });
        pod["spec"] = template["spec"]?.DeepClone() ?? new JsonObject();
        pod["status"] = new JsonObject { ["phase"] = "Running", ["startTime"] = KubeObjects.Timestamp(Time.GetUtcNow()) };
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

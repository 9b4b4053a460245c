using k8s.Models;
using Rotation.Core.Ports;

namespace Rotation.Infra.Kubernetes.Writing;

/// <summary>
/// The labels and annotations Rotation puts on what it writes. "previous" records fingerprints of what the object
/// held before (never key material): abort restores the old material from Rotation's own store and vault through
/// ApplyIssuer/ApplyTrustBundle, so the object only needs to say what was there, for an operator and for audit.
/// </summary>
public static class ManagedMetadata
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "rotation";
    public const string RotationIdAnnotation = "rotation.dev/rotation-id";
    public const string PhaseAnnotation = "rotation.dev/phase";
    public const string PreviousAnnotation = "rotation.dev/previous";

    /// <summary>On a Deployment: the rotation and phase it was last restarted for, so a re-run does not restart it again.</summary>
    public const string RestartedForAnnotation = "rotation.dev/restarted-for";
    public const string RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

    /// <summary>The constant field manager for every write.</summary>
    public const string FieldManager = "rotation";

    public static void Stamp(V1ObjectMeta metadata, RotationWriteContext context, string previous)
    {
        metadata.Labels ??= new Dictionary<string, string>();
        metadata.Annotations ??= new Dictionary<string, string>();
        metadata.Labels[ManagedByLabel] = ManagedByValue;
        metadata.Annotations[RotationIdAnnotation] = context.RotationId;
        metadata.Annotations[PhaseAnnotation] = context.Phase.ToString();
        metadata.Annotations[PreviousAnnotation] = previous;
    }

    public static string RestartMarker(RotationWriteContext context) => $"{context.RotationId}/{context.Phase}";
}

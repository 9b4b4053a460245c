using k8s;
using k8s.Models;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>
/// What every Kubernetes target shares: its name ("cluster/kind"), guarded API calls that turn an unreachable or
/// unreadable cluster into <see cref="TargetUnavailableException"/>, and read-modify-write of ConfigMaps and Secrets.
/// </summary>
public abstract class KubernetesTarget : IRotationTarget
{
    protected KubernetesTarget(ClusterConnection connection, string kind)
    {
        Connection = connection;
        Kind = kind;
        Name = $"{connection.ClusterName}/{kind}";
    }

    public string Name { get; }
    public string Kind { get; }
    public string Cluster => Connection.ClusterName;

    /// <summary>What this target reads and writes, for the cluster check and docs/targets.md.</summary>
    public abstract IReadOnlyList<ResourcePermission> RequiredPermissions { get; }

    protected ClusterConnection Connection { get; }
    protected IKubernetes Client => Connection.Client;
    protected int PageSize => Connection.Options.PageSize;

    public abstract Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default);
    public abstract Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default);
    public abstract Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default);
    public abstract Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default);
    public abstract Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default);
    public abstract Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default);

    protected Task<T> GuardAsync<T>(string what, Func<Task<T>> action, CancellationToken cancellationToken) =>
        ApiGuard.RunAsync(Name, Cluster, what, action, cancellationToken);

    protected Task GuardAsync(string what, Func<Task> action, CancellationToken cancellationToken) =>
        ApiGuard.RunAsync(Name, Cluster, what, action, cancellationToken);

    protected Task<V1Secret?> ReadSecretAsync(string ns, string name, CancellationToken cancellationToken) =>
        GuardAsync($"reading secret {ns}/{name}", () => OrNullAsync(Client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken)), cancellationToken);

    protected Task<V1ConfigMap?> ReadConfigMapAsync(string ns, string name, CancellationToken cancellationToken) =>
        GuardAsync($"reading configmap {ns}/{name}", () => OrNullAsync(Client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancellationToken)), cancellationToken);

    /// <param name="change">Given the current secret (null when absent), the secret to write or null when it already holds what we want.</param>
    protected Task<bool> WriteSecretAsync(string ns, string name, Func<V1Secret?, V1Secret?> change, CancellationToken cancellationToken) =>
        GuardAsync($"writing secret {ns}/{name}", () => ReadModifyWrite.RunAsync(
            Connection.Options.MaxConflictRetries,
            () => OrNullAsync(Client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken)),
            change,
            secret => Client.CoreV1.CreateNamespacedSecretAsync(secret, ns, fieldManager: ManagedMetadata.FieldManager, cancellationToken: cancellationToken),
            secret => Client.CoreV1.ReplaceNamespacedSecretAsync(secret, name, ns, fieldManager: ManagedMetadata.FieldManager, cancellationToken: cancellationToken)), cancellationToken);

    protected Task<bool> WriteConfigMapAsync(string ns, string name, Func<V1ConfigMap?, V1ConfigMap?> change, CancellationToken cancellationToken) =>
        GuardAsync($"writing configmap {ns}/{name}", () => ReadModifyWrite.RunAsync(
            Connection.Options.MaxConflictRetries,
            () => OrNullAsync(Client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancellationToken)),
            change,
            map => Client.CoreV1.CreateNamespacedConfigMapAsync(map, ns, fieldManager: ManagedMetadata.FieldManager, cancellationToken: cancellationToken),
            map => Client.CoreV1.ReplaceNamespacedConfigMapAsync(map, name, ns, fieldManager: ManagedMetadata.FieldManager, cancellationToken: cancellationToken)), cancellationToken);

    protected static async Task<T?> OrNullAsync<T>(Task<T> read)
        where T : class
    {
        try
        {
            return await read;
        }
        catch (Exception ex) when (KubeErrors.IsNotFound(ex))
        {
            return null;
        }
    }

    protected static string? Text(V1Secret? secret, string key) =>
        secret?.Data is { } data && data.TryGetValue(key, out var bytes) && bytes is not null ? System.Text.Encoding.UTF8.GetString(bytes) : null;

    protected static string? Text(V1ConfigMap? map, string key) =>
        map?.Data is { } data && data.TryGetValue(key, out var text) ? text : null;

    protected static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    protected TrustStoreObservation Observe(string location, string? pemText)
    {
        var (fingerprints, error) = ObjectPem.TryFingerprints(pemText);
        return fingerprints is null
            ? new TrustStoreObservation($"{location} (unreadable: {error})", [])
            : new TrustStoreObservation(location, fingerprints);
    }

    /// <summary>The roots in a trust object's PEM text; absent (null roots) when there is no text, unreadable with the reason.</summary>
    protected static HeldRoots Held(string location, string? pemText, bool mayBeAbsent = false)
    {
        if (string.IsNullOrWhiteSpace(pemText))
            return new HeldRoots(location, null, "absent", mayBeAbsent);
        try
        {
            return new HeldRoots(location, Pem.ReadCertificates(pemText, location).DistinctBy(c => c.Sha256).ToList());
        }
        catch (PkiException ex)
        {
            return new HeldRoots(location, null, $"unreadable: {ex.Message}");
        }
    }

    /// <summary>The issuer in <paramref name="certText"/> (first certificate) with the chain above it and its key when readable.</summary>
    protected static HeldIssuer HeldIssuerOf(string location, string? certText, string? chainText, string? keyText)
    {
        if (string.IsNullOrWhiteSpace(certText))
            return new HeldIssuer(location, null, null, "absent");
        try
        {
            var certificates = Pem.ReadCertificates(certText, location).ToList();
            if (!string.IsNullOrWhiteSpace(chainText))
                certificates.AddRange(Pem.ReadCertificates(chainText, location).Where(c => !certificates.Contains(c)));
            PrivateKey? key = null;
            if (!string.IsNullOrWhiteSpace(keyText))
            {
                try
                {
                    key = PrivateKey.FromPem(keyText);
                }
                catch (PkiException)
                {
                    // The drift gate compares certificates only; adoption reports a missing or unreadable key itself.
                }
            }

            return new HeldIssuer(location, certificates, key);
        }
        catch (PkiException ex)
        {
            return new HeldIssuer(location, null, null, $"unreadable: {ex.Message}");
        }
    }

    protected PreflightReport Report(params PreflightCheck[] checks) => new(Name, checks);

    /// <summary>The images a Deployment runs: the mesh version an operator wants to see in a check.</summary>
    protected static string ImagesOf(V1Deployment deployment) =>
        string.Join(", ", deployment.Spec?.Template?.Spec?.Containers?.Select(c => c.Image).Where(i => !string.IsNullOrEmpty(i)) ?? []) is { Length: > 0 } images ? images : "an unknown image";

    /// <summary>Sets <paramref name="data"/> on the secret and stamps it as Rotation's, recording fingerprints (never keys) of what it held.</summary>
    protected static V1Secret StampSecret(V1Secret secret, RotationWriteContext context, string previous, IReadOnlyDictionary<string, string> data)
    {
        secret.Metadata ??= new V1ObjectMeta();
        ManagedMetadata.Stamp(secret.Metadata, context, previous);
        secret.Data ??= new Dictionary<string, byte[]>();
        foreach (var (key, value) in data)
            secret.Data[key] = Bytes(value);
        return secret;
    }

    /// <summary>"issuer=…;roots=…": what an issuer secret held, as short fingerprints.</summary>
    protected static string IssuerSummary(V1Secret secret, string issuerKey, string rootsKey) =>
        string.Join(";", ObjectPem.Summary("issuer", Text(secret, issuerKey)), ObjectPem.Summary("roots", Text(secret, rootsKey)));
}

using Rotation.Core.Pki;
using Rotation.Drill.Workloads;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Drill.Kubernetes.Targets;

/// <summary>
/// A workload that mounts its cert-manager Certificate's Secret and a trust-manager Bundle target, as cert-manager's
/// docs advise for CA rotation (trust from trust-manager, not from the Secret's single-root ca.crt): it presents
/// tls.crt (leaf, then the chain cert-manager built without the self-signed root; cert-manager/cert-manager 2d0d7f7
/// pkg/controller/certificaterequests/ca/ca.go) with tls.key, and validates peers with the Bundle's target ConfigMap
/// in its namespace as trust-manager wrote it (cert-manager/trust-manager fc1b53d pkg/bundle/bundle.go). Nothing is
/// restarted: the kubelet refreshes mounted Secrets and ConfigMaps, and the workload reloads files (the sync interval
/// stands for both).
/// </summary>
public sealed class CertManagerSecretFeed(SimulatedKubeCluster kube, string @namespace, string secretName, string bundleConfigMap, string bundleKey) : IWorkloadFeed
{
    private string? _leafText;
    private WorkloadCredential? _credential;
    private string? _trustText;
    private TrustBundle? _trust;

    public WorkloadMaterial? Read(SimulatedWorkload workload)
    {
        var secret = kube.Store.TryGet(ResourceKinds.Secrets, @namespace, secretName);
        var chainPem = secret is null ? null : KubeObjects.SecretText(secret, "tls.crt");
        var keyPem = secret is null ? null : KubeObjects.SecretText(secret, "tls.key");
        if (!string.IsNullOrWhiteSpace(chainPem) && !string.IsNullOrWhiteSpace(keyPem) && chainPem != _leafText)
        {
            var chain = Pem.ReadCertificates(chainPem, $"secret {@namespace}/{secretName} tls.crt");
            _credential = new WorkloadCredential(new CertificateWithKey(chain[0], PrivateKey.FromPem(keyPem)), chain.Skip(1).ToList());
            _leafText = chainPem;
        }

        var map = kube.Store.TryGet(ResourceKinds.ConfigMaps, @namespace, bundleConfigMap);
        var trustPem = map is null ? null : KubeObjects.ConfigMapText(map, bundleKey);
        if (!string.IsNullOrWhiteSpace(trustPem) && trustPem != _trustText)
        {
            _trust = TrustBundle.FromPem(trustPem, $"configmap {@namespace}/{bundleConfigMap} {bundleKey}");
            _trustText = trustPem;
        }

        return _trust is { } trust && _credential is { } credential ? new WorkloadMaterial(trust, credential, null) : null;
    }
}

using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// The Secrets Store CSI driver with the Azure Key Vault provider (AKS add-on azure-keyvault-secrets-provider) as the
/// Istio add-on uses it: istiod's /etc/cacerts is the CSI volume of SecretProviderClass istio-spc-REVISION, holding
/// the four Key Vault secrets of the plug-in CA as ca-cert.pem, ca-key.pem, cert-chain.pem and root-cert.pem, synced
/// to the Secret cacerts in the add-on namespace (the add-on docs tell operators to look for it).
/// <list type="bullet">
/// <item>Mount: the first <see cref="PollAsync"/> (the pod's NodePublishVolume) fetches every object; istiod starts only
/// once it succeeded (a failed fetch keeps the pod in Init, as the troubleshooting article shows).</item>
/// <item>Rotation: every <see cref="RotationPollInterval"/> (the add-on's rotationPollInterval, two minutes by default:
/// MicrosoftDocs/SupportArticles-docs@051c368b …/istio-add-on-plug-in-ca-certificate.md, Issue 2) the rotation
/// reconciler fetches the objects again and, when their content changed, rewrites the mounted files and the synced
/// Secret in the same pass (kubernetes-sigs/secrets-store-csi-driver@b151e713 pkg/rotation/reconciler.go). A fetch
/// that fails for any object changes nothing (<see cref="LastError"/> says which).</item>
/// </list>
/// A Key Vault write is therefore invisible to the cluster until the next poll; the simulated istiod
/// (<see cref="IstioController"/> with <see cref="IstioLayout.AksAddOn"/>) then sees the files change and reloads as
/// it does for cacerts. Set the controller's MountedFileDelay to zero in this mode: the poll itself is the mount update.
/// </summary>
public sealed class CsiSecretsStoreDriver : IAsyncDisposable
{
    public const string DriverName = "secrets-store.csi.k8s.io";

    private readonly KubeObjectStore _store;
    private readonly IstioLayout _layout;
    private readonly AddOnCaObjects _objects;
    private readonly Func<string, CancellationToken, Task<string?>> _fetch;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private CancellationTokenSource? _stopping;
    private Task? _loop;
    private int _polls;
    private int _syncs;
    private string? _lastError;

    /// <param name="fetch">Reads the current value of one Key Vault secret (null when it does not exist), as the provider's GetSecret does.</param>
    public CsiSecretsStoreDriver(KubeObjectStore store, IstioLayout layout, AddOnCaObjects objects, Func<string, CancellationToken, Task<string?>> fetch, TimeProvider? time = null)
    {
        _store = store;
        _layout = layout;
        _objects = objects;
        _fetch = fetch;
        _time = time ?? TimeProvider.System;
    }

    public TimeSpan RotationPollInterval { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Completed polls (successful or not).</summary>
    public int Polls => Volatile.Read(ref _polls);

    /// <summary>Polls that changed the mounted files.</summary>
    public int Syncs => Volatile.Read(ref _syncs);

    /// <summary>Why the last poll changed nothing because a fetch failed, or null.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>Starts the rotation loop: a poll every <see cref="RotationPollInterval"/>, the first one after one interval.</summary>
    public void Start()
    {
        if (_loop is not null)
            return;
        _stopping = new CancellationTokenSource();
        var token = _stopping.Token;
        _loop = Task.Run(async () =>
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(RotationPollInterval, _time, token);
                await PollAsync(token);
            }
        }, CancellationToken.None);
    }

    /// <summary>One reconciler pass: fetch all four objects; rewrite the mount when any changed. True when it changed.</summary>
    public async Task<bool> PollAsync(CancellationToken cancellationToken = default)
    {
        await _pass.WaitAsync(cancellationToken);
        try
        {
            var files = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (objectName, file) in _objects.Files)
            {
                string? value;
                string? error = null;
                try
                {
                    value = await _fetch(objectName, cancellationToken);
                }
#pragma warning disable CA1031 // The provider logs a failed fetch and keeps the mount; so does the simulator.
                catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    value = null;
                    error = e.Message;
                }

                if (value is null)
                {
                    Volatile.Write(ref _lastError, $"failed to get objectType:secret, objectName:{objectName}: {error ?? "not found"}");
                    return false;
                }

                files[file] = value;
            }

            Volatile.Write(ref _lastError, null);
            var current = _store.TryGet(ResourceKinds.Secrets, _layout.Namespace, _layout.CaSecret);
            if (current is not null && files.All(f => KubeObjects.SecretText(current, f.Key) == f.Value))
                return false;
            _store.PutSecret(_layout.Namespace, _layout.CaSecret, files);
            Interlocked.Increment(ref _syncs);
            return true;
        }
        finally
        {
            Interlocked.Increment(ref _polls);
            _pass.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping is null || _loop is null)
            return;
        await _stopping.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
        _stopping = null;
        _loop = null;
        _pass.Dispose();
    }
}

/// <summary>
/// The Key Vault secret names of the add-on's plug-in CA (the AKS API's certificateAuthority.plugin fields
/// rootCertObjectName, certObjectName, keyObjectName, certChainObjectName) and the files they become in /etc/cacerts.
/// </summary>
public sealed record AddOnCaObjects(string RootCert = "root-cert", string CaCert = "ca-cert", string CaKey = "ca-key", string CertChain = "cert-chain")
{
    public IEnumerable<(string ObjectName, string File)> Files =>
    [
        (CaCert, IstioNames.CaCertKey),
        (CaKey, IstioNames.CaKeyKey),
        (CertChain, IstioNames.CertChainKey),
        (RootCert, IstioNames.RootCertKey),
    ];
}

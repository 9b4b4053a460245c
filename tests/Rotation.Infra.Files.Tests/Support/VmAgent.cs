using System.Collections.Concurrent;
using Rotation.Core.Pki;

namespace Rotation.Infra.Files.Tests.Support;

/// <summary>A client leaf on disk (chain file: leaf then its issuer; key 0600) and the intermediate that issued it.</summary>
public sealed record ClientLeaf(string ChainPath, string KeyPath, Certificate Leaf, Certificate Issuer);

/// <summary>
/// What runs on the VM besides nginx: a renewal agent that issues short-lived leaves from the issuer files the
/// files target wrote (nginx's server leaf, reloading nginx when it changes, and client leaves for the VM's
/// callers). Renewal always uses the issuer in the directory now, so leaves from an old issuer age out within their
/// lifetime, exactly what the engine's leaf time rule counts on.
/// </summary>
public sealed class VmAgent : IAsyncDisposable
{
    private readonly FilesTargetOptions _files;
    private readonly TimeSpan _ttl;
    private readonly string _clientDir;
    private readonly ConcurrentBag<ClientLeaf> _clients = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private Certificate? _serverLeaf;
    private int _counter;

    public VmAgent(FilesTargetOptions files, TimeSpan leafTtl, string clientDir)
    {
        _files = files;
        _ttl = leafTtl;
        _clientDir = clientDir;
        Directory.CreateDirectory(clientDir);
    }

    /// <summary>The nginx whose server leaf this agent renews (set once it runs).</summary>
    public Nginx? Nginx { get; set; }

    public int ServerRenewals { get; private set; }
    public string? LastError { get; private set; }

    /// <summary>Issues the first leaves now (so nginx can start with a server leaf), then renews in the background.</summary>
    public async Task<(string Chain, string Key)> InitialServerLeafAsync()
    {
        var issuer = await ReadIssuerAsync() ?? throw new InvalidOperationException("no issuer files yet");
        var (chain, key, leaf) = ServerLeaf(issuer);
        _serverLeaf = leaf;
        await RenewClientAsync(issuer);
        return (chain, key);
    }

    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token));

    /// <summary>Per issuer seen, the newest client leaf that stays valid for a little while longer.</summary>
    public IReadOnlyList<ClientLeaf> ValidClients(DateTimeOffset now) =>
        _clients.Where(c => c.Leaf.NotAfter > now + TimeSpan.FromSeconds(1.5))
            .GroupBy(c => c.Issuer.Sha256)
            .Select(g => g.OrderByDescending(c => c.Leaf.NotAfter).First())
            .OrderBy(c => c.Leaf.NotAfter)
            .ToList();

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (Nginx is { } nginx && await ReadIssuerAsync() is { } issuer)
                {
                    var now = DateTimeOffset.UtcNow;
                    if (_serverLeaf is null || !_serverLeaf.IsSignedBy(issuer.Certificate) || _serverLeaf.NotAfter - now < _ttl * 2 / 3)
                    {
                        var (chain, key, leaf) = ServerLeaf(issuer);
                        // Key first, then the chain: nginx reads both only at reload.
                        await AtomicFile.WriteAsync(nginx.ServerKeyPath, key, AtomicFile.Private, cancellationToken);
                        await AtomicFile.WriteAsync(nginx.ServerChainPath, chain, AtomicFile.Public, cancellationToken);
                        var reload = await ReloadCommand.RunAsync(nginx.ReloadArgv, TimeSpan.FromSeconds(10), cancellationToken);
                        if (!reload.Succeeded)
                            LastError = reload.Detail;
                        _serverLeaf = leaf;
                        ServerRenewals++;
                    }

                    var newest = _clients.Where(c => c.Issuer.Equals(issuer.Certificate)).Select(c => c.Leaf.NotAfter).DefaultIfEmpty().Max();
                    if (newest - now < _ttl * 2 / 3)
                        await RenewClientAsync(issuer);
                }

                await Task.Delay(200, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LastError = ex.Message;
                await Task.Delay(100, CancellationToken.None);
            }
        }
    }

    /// <summary>The issuer in the directory, or null while its cert and key do not (yet) belong together.</summary>
    private async Task<CertificateWithKey?> ReadIssuerAsync()
    {
        var cert = await AtomicFile.ReadAsync(_files.CertPath, CancellationToken.None);
        var key = await AtomicFile.ReadAsync(_files.KeyPath, CancellationToken.None);
        if (cert is null || key is null)
            return null;
        var certificate = Certificate.FromPem(cert);
        var privateKey = PrivateKey.FromPem(key);
        return privateKey.Matches(certificate) ? new CertificateWithKey(certificate, privateKey) : null;
    }

    private (string Chain, string Key, Certificate Leaf) ServerLeaf(CertificateWithKey issuer)
    {
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var leaf = Issue(issuer, key, "localhost");
        return (leaf.ToPem() + issuer.Certificate.ToPem(), key.ToPkcs8Pem(), leaf);
    }

    private async Task RenewClientAsync(CertificateWithKey issuer)
    {
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var leaf = Issue(issuer, key, "vm-client");
        var n = Interlocked.Increment(ref _counter);
        var chainPath = Path.Combine(_clientDir, $"client-{n}.pem");
        var keyPath = Path.Combine(_clientDir, $"client-{n}.key");
        await AtomicFile.WriteAsync(keyPath, key.ToPkcs8Pem(), AtomicFile.Private, CancellationToken.None);
        await AtomicFile.WriteAsync(chainPath, leaf.ToPem() + issuer.Certificate.ToPem(), AtomicFile.Public, CancellationToken.None);
        _clients.Add(new ClientLeaf(chainPath, keyPath, leaf, issuer.Certificate));
    }

    private Certificate Issue(CertificateWithKey issuer, PrivateKey key, string name)
    {
        var now = DateTimeOffset.UtcNow;
        // Backdated a little like real issuers do; the lifetime that matters to the time rule is what is left after issuance.
        return CertificateFactory.IssueLeaf(
            new LeafRequest($"CN={name}", Max(now - TimeSpan.FromSeconds(30), issuer.Certificate.NotBefore), now + _ttl, [name], [$"spiffe://{TestPki.TrustDomain}/vm/{name}"]),
            key,
            issuer);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

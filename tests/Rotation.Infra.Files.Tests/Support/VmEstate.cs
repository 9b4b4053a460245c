using System.Collections.Concurrent;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Files.Endpoints;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;

namespace Rotation.Infra.Files.Tests.Support;

/// <summary>One request of the traffic: the phase it ran in, which intermediate issued the client leaf, what curl said.</summary>
public sealed record Request(RotationPhase? Phase, Certificate ClientIssuer, CurlResult Result);

/// <summary>
/// A domain (root A, intermediate A1) in a real SQLite store and local vault, a directory the files target owns,
/// a real nginx reading its trust from that directory, the VM's renewal agent, and curl traffic with every valid
/// client leaf. Everything is torn down (nginx killed) on dispose.
/// </summary>
public sealed class VmEstate : IAsyncDisposable
{
    public const string Domain = TestPki.TrustDomain;

    private readonly TempDirectory _temp = new("rotation-files-nginx");
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly CancellationTokenSource _stopTraffic = new();
    private readonly List<Task> _traffic = [];

    private VmEstate(TestHierarchy a)
    {
        A = a;
        Store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _temp.File("rotation.db") });
        // Seeded through the vault files as a home made before custody; the engine reads them through the custody.
        var keys = new LocalKeyVaultOptions { KeyDirectory = _temp.File("keys"), Passphrase = "files-test-passphrase" };
        Vault = new LocalKeyVault(keys);
        Custody = new LocalKeyCustody(keys);
        Directory.CreateDirectory(_temp.File("etc-mesh"));
        var prefix = _temp.File("nginx");
        Files = FilesTargetOptions.From(new Dictionary<string, string>
        {
            ["dir"] = _temp.File("etc-mesh"),
            ["reload"] = CommandLine.Format([Nginx.Executable, "-p", prefix, "-c", Path.Combine(prefix, "nginx.conf"), "-e", Path.Combine(prefix, "error.log"), "-s", "reload"]),
        });
    }

    public TestHierarchy A { get; }
    public SqliteStateStore Store { get; }
    public LocalKeyVault Vault { get; }
    public LocalKeyCustody Custody { get; }
    public FilesTargetOptions Files { get; }
    public Nginx Nginx { get; private set; } = null!;
    public VmAgent Agent { get; private set; } = null!;
    public FilesTarget FilesTarget { get; private set; } = null!;
    public IRotationTarget Target { get; private set; } = null!;
    public EndpointAddress Endpoint { get; private set; } = null!;

    /// <summary>Which phase traffic is tagged with; the test's workflow context moves it.</summary>
    public RotationPhase? Phase { get; set; }

    public IReadOnlyList<Request> Requests => _requests.ToList();

    public static async Task<VmEstate> StartAsync(TimeSpan leafTtl)
    {
        var estate = new VmEstate(TestPki.Hierarchy(DateTimeOffset.UtcNow));
        await estate.InitializeAsync(leafTtl);
        return estate;
    }

    private async Task InitializeAsync(TimeSpan leafTtl)
    {
        var rootKey = await Vault.StoreAsync("root-a", A.Root.Key);
        var intermediateKey = await Vault.StoreAsync("int-a", A.Intermediate.Key);
        await Store.CommitAsync(new ChangeSet
        {
            Domain = new TrustDomain(Domain, DateTimeOffset.UtcNow, KeyAlgorithm.EcdsaP256),
            Authorities =
            [
                new CertificateAuthority("root-a", Domain, CaRole.Root, CaStatus.Active, null, A.Root.Certificate, rootKey),
                new CertificateAuthority("int-a", Domain, CaRole.Intermediate, CaStatus.Active, "root-a", A.Intermediate.Certificate, intermediateKey),
            ],
        });

        // What the directory held before any rotation: root A and issuer A1, as Rotation wrote them when the VM joined.
        using (var seed = new FilesTarget("vm1/files", Files with { Reload = [] }, new StoreDomainMaterial(Store, Domain)))
        {
            await seed.ApplyIssuerAsync(
                new IssuerMaterial(A.Intermediate, [A.Intermediate.Certificate, A.Root.Certificate], A.Bundle),
                new RotationWriteContext("seed", RotationPhase.Prepare));
        }

        Agent = new VmAgent(Files, leafTtl, _temp.File("clients"));
        var (chain, key) = await Agent.InitialServerLeafAsync();
        Nginx = await Nginx.StartAsync(_temp.File("nginx"), Files.BundlePath, chain, key);
        Agent.Nginx = Nginx;
        Endpoint = EndpointAddress.Parse($"https://127.0.0.1:{Nginx.Port}/");
        FilesTarget = new FilesTarget("vm1/files", Files, new StoreDomainMaterial(Store, Domain));
        Target = EndpointEvidenceTarget.Wrap(
            FilesTarget,
            new EndpointEvidenceOptions([Endpoint], LeafEvidenceMode.Time),
            new DomainProbeIssuers(Store, Custody, Domain, TimeProvider.System),
            Domain);
        Agent.Start();
    }

    /// <summary>Two callers, as long as traffic runs: one with the oldest client leaf still valid, one with the newest.</summary>
    public void StartTraffic()
    {
        _traffic.Add(Task.Run(() => CallerAsync(oldest: true, _stopTraffic.Token)));
        _traffic.Add(Task.Run(() => CallerAsync(oldest: false, _stopTraffic.Token)));
    }

    public async Task StopTrafficAsync()
    {
        await _stopTraffic.CancelAsync();
        await Task.WhenAll(_traffic);
    }

    private async Task CallerAsync(bool oldest, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var clients = Agent.ValidClients(DateTimeOffset.UtcNow);
            if (clients.Count == 0)
            {
                await Task.Delay(20, CancellationToken.None);
                continue;
            }

            var client = oldest ? clients[0] : clients[^1];
            var phase = Phase;
            var result = await Curl.GetAsync(Nginx.Port, Files.BundlePath, client);
            _requests.Enqueue(new Request(phase, client.Issuer, result));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopTraffic.IsCancellationRequested)
            await StopTrafficAsync();
        _stopTraffic.Dispose();
        await Agent.DisposeAsync();
        if (Nginx is not null)
            await Nginx.DisposeAsync();
        FilesTarget?.Dispose();
        _temp.Dispose();
    }
}

using Rotation.Core.Pki;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.OpenSsl;

/// <summary>
/// One workload's current material as files openssl can read: leaf, private key, intermediates, bundle.
/// The key is the drill's own short-lived test-peer leaf key, never a CA key; it is written 0600 into a private
/// temp folder and deleted as soon as openssl has loaded it, and the folder goes when this is disposed.
/// </summary>
internal sealed class OpenSslMaterial : IDisposable
{
    public const string FolderPrefix = "rotation-drill-openssl-";

    private readonly DirectoryInfo _directory;

    public OpenSslMaterial(SimulatedWorkload workload, string? tempRoot = null)
    {
        Workload = workload;
        Credential = workload.Credential ?? throw new InvalidOperationException($"workload {workload.Location} has no leaf yet");
        Trust = workload.TrustStore;
        // CreateTempSubdirectory makes the folder 0700, so nobody else can list or open what is in it.
        _directory = CreatePrivateFolder(tempRoot);
        CertificatePath = Write("leaf.pem", Pem.WriteCertificates([Credential.Certificate]));
        ChainPath = Write("chain.pem", Pem.WriteCertificates(Credential.Intermediates));
        BundlePath = Write("bundle.pem", Trust.Bundle.ToPem());
        KeyPath = WriteKey("leaf.key", Credential.Leaf.Key.ToPkcs8Pem());
    }

    public SimulatedWorkload Workload { get; }
    public WorkloadCredential Credential { get; }
    public WorkloadTrustStore Trust { get; }
    public string CertificatePath { get; }
    public string ChainPath { get; }
    public string BundlePath { get; }
    public string KeyPath { get; }

    /// <summary>The arguments every openssl peer role shares: its identity and the bundle it validates with.</summary>
    public IEnumerable<string> IdentityArguments =>
    [
        "-cert", CertificatePath,
        "-key", KeyPath,
        "-cert_chain", ChainPath,
        "-CAfile", BundlePath,
        "-verify_return_error",
        "-tls1_3",
    ];

    public void DeleteKey()
    {
        if (File.Exists(KeyPath))
            File.Delete(KeyPath);
    }

    public void Dispose()
    {
        DeleteKey();
        _directory.Delete(recursive: true);
    }

    private static DirectoryInfo CreatePrivateFolder(string? tempRoot)
    {
        if (tempRoot is null)
            return Directory.CreateTempSubdirectory(FolderPrefix);
        var path = Path.Combine(tempRoot, FolderPrefix + Guid.NewGuid().ToString("N"));
        return OperatingSystem.IsWindows()
            ? Directory.CreateDirectory(path)
            : Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private string WriteKey(string name, string pem)
    {
        var path = Path.Combine(_directory.FullName, name);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
        return path;
    }
}

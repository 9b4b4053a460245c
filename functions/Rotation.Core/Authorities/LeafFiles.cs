namespace Rotation.Core.Authorities;

/// <summary>
/// A workload identity on disk: the leaf, its key, the chain a TLS peer presents (leaf then intermediate)
/// and the trust bundle to verify peers with.
/// </summary>
public sealed record LeafFiles(string Cert, string Key, string Chain, string Bundle)
{
    public static LeafFiles In(string directory) => new(
        Path.Combine(Path.GetFullPath(directory), "cert.pem"),
        Path.Combine(Path.GetFullPath(directory), "key.pem"),
        Path.Combine(Path.GetFullPath(directory), "chain.pem"),
        Path.Combine(Path.GetFullPath(directory), "bundle.pem"));
}

using System.Globalization;
using Rotation.Core.Domain;

namespace Rotation.Infra.Files;

/// <summary>
/// Options of a `files` target (spelled on the command line as <c>files:dir=/etc/mesh,reload=nginx -s reload</c>, or
/// with the <c>--dir</c>/<c>--reload</c> shorthands of <c>rotation cluster add</c>). Validated when the consumer is
/// registered; every problem is one <see cref="DomainException"/> line naming the option.
/// </summary>
public sealed record FilesTargetOptions
{
    public const string DirKey = "dir";
    public const string ReloadKey = "reload";
    public const string ReloadTimeoutKey = "reloadTimeout";
    public const string IssuerKey = "issuer";
    public const string BundleFileKey = "bundleFile";
    public const string CertFileKey = "certFile";
    public const string ChainFileKey = "chainFile";
    public const string KeyFileKey = "keyFile";

    public static IReadOnlyList<string> Keys { get; } =
        [DirKey, ReloadKey, ReloadTimeoutKey, IssuerKey, BundleFileKey, CertFileKey, ChainFileKey, KeyFileKey];

    /// <summary>The absolute directory the files are written into; it must exist.</summary>
    public required string Directory { get; init; }

    /// <summary>The reload command as argv (never run through a shell); empty when the consumer re-reads the files by itself.</summary>
    public IReadOnlyList<string> Reload { get; init; } = [];

    public TimeSpan ReloadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>False with <c>issuer=none</c>: the consumer only trusts (an nginx front end, a database client); issuer files are not written.</summary>
    public bool WritesIssuer { get; init; } = true;

    public string BundleFile { get; init; } = "ca-bundle.pem";
    public string CertFile { get; init; } = "issuer.crt";
    public string ChainFile { get; init; } = "issuer-chain.pem";
    public string KeyFile { get; init; } = "issuer.key";

    public string BundlePath => Path.Combine(Directory, BundleFile);
    public string CertPath => Path.Combine(Directory, CertFile);
    public string ChainPath => Path.Combine(Directory, ChainFile);
    public string KeyPath => Path.Combine(Directory, KeyFile);

    public static FilesTargetOptions From(IReadOnlyDictionary<string, string> options)
    {
        var unknown = options.Keys.FirstOrDefault(k => !Keys.Contains(k) && !Endpoints.EndpointEvidenceOptions.Keys.Contains(k));
        if (unknown is not null)
            throw new DomainException($"target 'files' has no option '{unknown}': its options are {string.Join(", ", Keys.Concat(Endpoints.EndpointEvidenceOptions.Keys))}");

        if (!options.TryGetValue(DirKey, out var dir) || string.IsNullOrWhiteSpace(dir))
            throw new DomainException("target 'files' needs a directory: pass --dir DIR (or files:dir=DIR)");
        if (!Path.IsPathFullyQualified(dir))
            throw new DomainException($"target 'files': directory '{dir}' is not an absolute path: pass the full path");

        var reload = options.TryGetValue(ReloadKey, out var reloadText) ? CommandLine.Split(reloadText) : [];
        var timeout = TimeSpan.FromSeconds(30);
        if (options.TryGetValue(ReloadTimeoutKey, out var timeoutText))
        {
            if (!int.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > 3600)
                throw new DomainException($"target 'files': reloadTimeout '{timeoutText}' is not a number of seconds between 1 and 3600");
            timeout = TimeSpan.FromSeconds(seconds);
        }

        var writesIssuer = (options.GetValueOrDefault(IssuerKey) ?? "files") switch
        {
            "files" => true,
            "none" => false,
            var other => throw new DomainException($"target 'files': issuer '{other}' is not one of files, none"),
        };

        var result = new FilesTargetOptions
        {
            Directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)),
            Reload = reload,
            ReloadTimeout = timeout,
            WritesIssuer = writesIssuer,
            BundleFile = FileName(options, BundleFileKey, "ca-bundle.pem"),
            CertFile = FileName(options, CertFileKey, "issuer.crt"),
            ChainFile = FileName(options, ChainFileKey, "issuer-chain.pem"),
            KeyFile = FileName(options, KeyFileKey, "issuer.key"),
        };
        var names = new[] { result.BundleFile, result.CertFile, result.ChainFile, result.KeyFile };
        var clash = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new DomainException($"target 'files': file name '{clash.Key}' is used for two files: give bundleFile, certFile, chainFile and keyFile distinct names");
        return result;
    }

    private static string FileName(IReadOnlyDictionary<string, string> options, string key, string fallback)
    {
        if (!options.TryGetValue(key, out var name))
            return fallback;
        if (string.IsNullOrWhiteSpace(name) || name.Contains('/', StringComparison.Ordinal) || name is "." or ".." || name.StartsWith('.'))
            throw new DomainException($"target 'files': {key} '{name}' must be a plain file name inside the directory (no '/', not hidden)");
        return name;
    }
}

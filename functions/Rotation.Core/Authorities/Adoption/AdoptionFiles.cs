using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities.Adoption;

/// <summary>The file layouts existing CAs come in.</summary>
public enum AdoptionLayout
{
    /// <summary>Istio plug-in CA (samples/certs, `make -f Makefile.selfsigned.mk`): root-cert.pem, ca-cert.pem, ca-key.pem, cert-chain.pem, optional root-key.pem.</summary>
    Istio,
    /// <summary>Linkerd (`step certificate create` per its docs): ca.crt, issuer.crt, issuer.key, optional ca.key.</summary>
    Linkerd,
    /// <summary>step-ca's $STEPPATH: certs/root_ca.crt, certs/intermediate_ca.crt, secrets/intermediate_ca_key (often encrypted), optional secrets/root_ca_key.</summary>
    StepCa,
    /// <summary>A cert-manager CA issuer secret's keys as files: tls.crt (issuer then chain), tls.key, ca.crt.</summary>
    CertManager,
}

/// <summary>Reads an <see cref="AdoptionSource"/> from a directory in one of the <see cref="AdoptionLayout"/>s (detected from the file names when not given).</summary>
public static class AdoptionFiles
{
    private sealed record Names(string Roots, string Issuer, string IssuerKey, string? Chain, string? RootKey);

    private static readonly Dictionary<AdoptionLayout, Names> Layouts = new()
    {
        [AdoptionLayout.Istio] = new("root-cert.pem", "ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-key.pem"),
        [AdoptionLayout.Linkerd] = new("ca.crt", "issuer.crt", "issuer.key", null, "ca.key"),
        [AdoptionLayout.StepCa] = new("root_ca.crt", "intermediate_ca.crt", "intermediate_ca_key", null, "root_ca_key"),
        [AdoptionLayout.CertManager] = new("ca.crt", "tls.crt", "tls.key", null, null),
    };

    public static string NameOf(AdoptionLayout layout) => layout switch
    {
        AdoptionLayout.Istio => "istio",
        AdoptionLayout.Linkerd => "linkerd",
        AdoptionLayout.StepCa => "step-ca",
        AdoptionLayout.CertManager => "cert-manager",
        _ => throw new ArgumentOutOfRangeException(nameof(layout)),
    };

    public static AdoptionLayout Parse(string name) =>
        Enum.GetValues<AdoptionLayout>().FirstOrDefault(l => NameOf(l) == name) is var layout && NameOf(layout) == name
            ? layout
            : throw new DomainException($"unknown layout '{name}': use one of {string.Join(", ", Enum.GetValues<AdoptionLayout>().Select(NameOf))}");

    public static AdoptionSource Read(string directory, AdoptionLayout? layout, string? passphrase)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
            throw new DomainException($"directory '{full}' does not exist: pass the folder that holds the CA files");
        var chosen = layout ?? Detect(full);
        var names = Layouts[chosen];
        var origin = $"{full} ({NameOf(chosen)} layout)";

        var roots = Pem.ReadCertificates(ReadRequired(full, names.Roots, chosen), names.Roots).DistinctBy(c => c.Sha256).ToList();
        var issuerCerts = Pem.ReadCertificates(ReadRequired(full, names.Issuer, chosen), names.Issuer);
        var key = AdoptionKeys.Read(ReadRequired(full, names.IssuerKey, chosen), names.IssuerKey, passphrase);
        var chain = issuerCerts.Skip(1).ToList();
        if (names.Chain is { } chainFile && Find(full, chainFile) is { } chainPath)
            chain.AddRange(Pem.ReadCertificates(File.ReadAllText(chainPath), chainFile).Where(c => !c.Equals(issuerCerts[0]) && !chain.Contains(c)));
        var rootKey = names.RootKey is { } rootKeyFile && Find(full, rootKeyFile) is { } rootKeyPath
            ? AdoptionKeys.Read(File.ReadAllText(rootKeyPath), rootKeyFile, passphrase)
            : null;
        return new AdoptionSource(origin, roots, rootKey, issuerCerts[0], key, chain);
    }

    /// <summary>
    /// `rotation adopt --root FILE [--root-key FILE] --intermediate FILE --intermediate-key FILE [--chain FILE]`: the
    /// same material named file by file, for CAs kept in no known layout. The root file may hold several roots (all
    /// trusted); the intermediate file may carry its chain after it, as may the chain file.
    /// </summary>
    public static AdoptionSource ReadFiles(string rootFile, string? rootKeyFile, string intermediateFile, string intermediateKeyFile, string? chainFile, string? passphrase)
    {
        var roots = Pem.ReadCertificates(ReadNamed(rootFile, "--root"), rootFile).DistinctBy(c => c.Sha256).ToList();
        var issuerCerts = Pem.ReadCertificates(ReadNamed(intermediateFile, "--intermediate"), intermediateFile);
        var key = AdoptionKeys.Read(ReadNamed(intermediateKeyFile, "--intermediate-key"), intermediateKeyFile, passphrase);
        var chain = issuerCerts.Skip(1).ToList();
        if (chainFile is not null)
            chain.AddRange(Pem.ReadCertificates(ReadNamed(chainFile, "--chain"), chainFile).Where(c => !c.Equals(issuerCerts[0]) && !chain.Contains(c)));
        var rootKey = rootKeyFile is null ? null : AdoptionKeys.Read(ReadNamed(rootKeyFile, "--root-key"), rootKeyFile, passphrase);
        return new AdoptionSource($"files {Path.GetFullPath(rootFile)} and {Path.GetFullPath(intermediateFile)}", roots, rootKey, issuerCerts[0], key, chain);
    }

    private static string ReadNamed(string file, string option)
    {
        var path = Path.GetFullPath(file);
        return File.Exists(path)
            ? File.ReadAllText(path)
            : throw new DomainException($"{option} file '{path}' does not exist: pass the path of the PEM file");
    }

    private static AdoptionLayout Detect(string directory)
    {
        var found = Layouts.Where(l => Find(directory, l.Value.Issuer) is not null && Find(directory, l.Value.IssuerKey) is not null).Select(l => l.Key).ToList();
        return found.Count == 1
            ? found[0]
            : throw new DomainException(found.Count == 0
                ? $"'{directory}' holds no known CA layout: expected {string.Join("; ", Layouts.Select(l => $"{NameOf(l.Key)}: {l.Value.Roots}, {l.Value.Issuer}, {l.Value.IssuerKey}"))}"
                : $"'{directory}' matches several layouts ({string.Join(", ", found.Select(NameOf))}): choose one with --layout");
    }

    /// <summary>step-ca keeps certificates in certs/ and keys in secrets/; the others keep everything in one folder.</summary>
    private static string? Find(string directory, string name) =>
        new[] { Path.Combine(directory, name), Path.Combine(directory, "certs", name), Path.Combine(directory, "secrets", name) }.FirstOrDefault(File.Exists);

    private static string ReadRequired(string directory, string name, AdoptionLayout layout) =>
        Find(directory, name) is { } path
            ? File.ReadAllText(path)
            : throw new DomainException($"'{directory}' has no {name}, which the {NameOf(layout)} layout needs");
}

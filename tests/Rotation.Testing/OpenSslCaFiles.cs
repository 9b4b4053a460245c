namespace Rotation.Testing;

/// <summary>
/// Makes a root and an intermediate with the real openssl CLI, at run time, in the file layouts existing meshes keep
/// them in: Istio's plug-in files (as samples/certs' Makefile.selfsigned.mk writes them), Linkerd's, step-ca's
/// $STEPPATH and a cert-manager CA secret's keys. <see cref="Legacy"/> makes CAs like Istio's old samples/certs: no
/// subject/authority key identifiers, a basicConstraints that is not critical, and a root without keyUsage.
/// </summary>
public static class OpenSslCaFiles
{
    private const string Config = """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        O = Istio
        [root_ext]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        [int_ext]
        basicConstraints = critical, CA:TRUE, pathlen:0
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid:always
        [legacy_root_ext]
        basicConstraints = CA:TRUE
        subjectKeyIdentifier = none
        authorityKeyIdentifier = none
        [legacy_int_ext]
        basicConstraints = CA:TRUE
        keyUsage = keyCertSign, cRLSign
        subjectKeyIdentifier = none
        authorityKeyIdentifier = none
        """;

    public sealed record Made(string Directory, string RootCert, string RootKey, string IntermediateCert, string IntermediateKey);

    /// <summary>root-key.pem, root-cert.pem, ca-key.pem, ca-cert.pem in <paramref name="directory"/> (PKCS#8 EC P-256 keys).</summary>
    public static async Task<Made> MakeAsync(string directory, bool legacy = false, string rootName = "Root CA", string intermediateName = "Intermediate CA")
    {
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "openssl.cnf");
        await File.WriteAllTextAsync(config, Config);
        var made = new Made(directory, Path.Combine(directory, "root-cert.pem"), Path.Combine(directory, "root-key.pem"), Path.Combine(directory, "ca-cert.pem"), Path.Combine(directory, "ca-key.pem"));
        await RunAsync("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", made.RootKey);
        await RunAsync("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", made.IntermediateKey);
        await RunAsync("req", "-x509", "-new", "-key", made.RootKey, "-config", config, "-extensions", legacy ? "legacy_root_ext" : "root_ext",
            "-subj", $"/O=Istio/CN={rootName}", "-days", "3650", "-out", made.RootCert);
        var csr = Path.Combine(directory, "ca.csr");
        await RunAsync("req", "-new", "-key", made.IntermediateKey, "-config", config, "-subj", $"/O=Istio/CN={intermediateName}", "-out", csr);
        await RunAsync("x509", "-req", "-in", csr, "-CA", made.RootCert, "-CAkey", made.RootKey, "-set_serial", "2", "-days", "730",
            "-extfile", config, "-extensions", legacy ? "legacy_int_ext" : "int_ext", "-out", made.IntermediateCert);
        File.Delete(csr);
        File.Delete(config);
        return made;
    }

    /// <summary>Istio: ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem (ca then root), root-key.pem when <paramref name="withRootKey"/>.</summary>
    public static async Task<Made> IstioAsync(string directory, bool legacy = false, bool withRootKey = true)
    {
        var made = await MakeAsync(directory, legacy);
        await File.WriteAllTextAsync(Path.Combine(directory, "cert-chain.pem"), await File.ReadAllTextAsync(made.IntermediateCert) + await File.ReadAllTextAsync(made.RootCert));
        if (!withRootKey)
            File.Delete(made.RootKey);
        return made;
    }

    /// <summary>Linkerd: ca.crt, issuer.crt, issuer.key (the trust anchor's key stays elsewhere).</summary>
    public static async Task<Made> LinkerdAsync(string directory)
    {
        var made = await MakeAsync(directory, rootName: "root.linkerd.cluster.local", intermediateName: "identity.linkerd.cluster.local");
        return new Made(directory, Move(made.RootCert, "ca.crt"), Delete(made.RootKey), Move(made.IntermediateCert, "issuer.crt"), Move(made.IntermediateKey, "issuer.key"));
    }

    /// <summary>step-ca: certs/root_ca.crt, certs/intermediate_ca.crt, secrets/intermediate_ca_key encrypted the legacy way (Proc-Type/DEK-Info, AES-256-CBC) with <paramref name="passphrase"/>.</summary>
    public static async Task<Made> StepCaAsync(string directory, string passphrase)
    {
        var made = await MakeAsync(directory);
        Directory.CreateDirectory(Path.Combine(directory, "certs"));
        Directory.CreateDirectory(Path.Combine(directory, "secrets"));
        var key = Path.Combine(directory, "secrets", "intermediate_ca_key");
        await RunAsync("ec", "-in", made.IntermediateKey, "-aes256", "-passout", $"pass:{passphrase}", "-out", key);
        File.Delete(made.IntermediateKey);
        return new Made(directory, Move(made.RootCert, Path.Combine("certs", "root_ca.crt")), Delete(made.RootKey), Move(made.IntermediateCert, Path.Combine("certs", "intermediate_ca.crt")), key);
    }

    /// <summary>cert-manager CA secret keys: tls.crt (issuer then root), tls.key, ca.crt.</summary>
    public static async Task<Made> CertManagerAsync(string directory)
    {
        var made = await MakeAsync(directory);
        var tls = Path.Combine(directory, "tls.crt");
        await File.WriteAllTextAsync(tls, await File.ReadAllTextAsync(made.IntermediateCert) + await File.ReadAllTextAsync(made.RootCert));
        File.Delete(made.IntermediateCert);
        return new Made(directory, Move(made.RootCert, "ca.crt"), Delete(made.RootKey), tls, Move(made.IntermediateKey, "tls.key"));
    }

    private static string Move(string from, string name)
    {
        var to = Path.Combine(Path.GetDirectoryName(from)!, name);
        File.Move(from, to);
        return to;
    }

    private static string Delete(string path)
    {
        File.Delete(path);
        return path;
    }

    private static async Task RunAsync(params string[] arguments)
    {
        var result = await OpenSsl.RunAsync(arguments);
        if (!result.Succeeded)
            throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed: {result}");
    }
}

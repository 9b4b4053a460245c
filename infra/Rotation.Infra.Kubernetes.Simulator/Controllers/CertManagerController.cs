using System.Text.Json.Nodes;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// cert-manager with CA and selfSigned issuers. A Certificate is issued when its secret is missing or incomplete,
/// when its issuerRef no longer matches the issuer that signed the secret, or when its Issuing condition is True
/// (what `cmctl renew` sets), or when its renewal time (notAfter - renewBefore, default two thirds of the lifetime)
/// has come on the controller's clock. Like cert-manager, a changed CA secret alone does not re-issue anything:
/// the next issuance reads the CA secret's content at that moment. Issuer readiness follows its CA secret.
/// </summary>
public sealed class CertManagerController : SimulatedMeshController
{
    private static readonly TimeSpan DefaultDuration = TimeSpan.FromDays(90);
    private readonly string _clusterResourceNamespace;
    private int _issuances;

    public CertManagerController(KubeObjectStore store, MeshControllerOptions? options = null, string clusterResourceNamespace = CertManagerNames.Namespace)
        : base(store, options)
    {
        _clusterResourceNamespace = clusterResourceNamespace;
    }

    /// <summary>Certificates issued so far (each issuance counts once).</summary>
    public int Issuances => Volatile.Read(ref _issuances);

    protected override bool IsRelevant(ObjectChangedEventArgs change) =>
        change.Kind == ResourceKinds.Certificates || change.Kind == ResourceKinds.Issuers
        || change.Kind == ResourceKinds.ClusterIssuers || change.Kind == ResourceKinds.Secrets;

    protected override void Reconcile()
    {
        var now = Time.GetUtcNow();
        foreach (var issuer in Store.List(ResourceKinds.Issuers).Items)
        {
            ReconcileIssuer(ResourceKinds.Issuers, issuer, now);
        }

        foreach (var issuer in Store.List(ResourceKinds.ClusterIssuers).Items)
        {
            ReconcileIssuer(ResourceKinds.ClusterIssuers, issuer, now);
        }

        foreach (var certificate in Store.List(ResourceKinds.Certificates).Items)
        {
            try
            {
                ReconcileCertificate(certificate, now);
            }
            catch (KubeApiException e) when (e.Code is 404 or 409)
            {
                // Deleted or changed during the pass; the change wakes the next pass.
            }
        }

        ScheduleNextRenewal(now);
    }

    private void ScheduleNextRenewal(DateTimeOffset now)
    {
        var next = Store.List(ResourceKinds.Certificates).Items
            .Select(c => RenewalTime(c))
            .Where(t => t is not null && t > now)
            .Min();
        if (next is { } due)
        {
            WakeAfter(due - now);
        }
    }

    private static DateTimeOffset? RenewalTime(JsonObject certificate) =>
        DateTimeOffset.TryParse(KubeObjects.StringAt(certificate, "status", "renewalTime"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : null;

    private void ReconcileIssuer(ResourceKind kind, JsonObject issuer, DateTimeOffset now)
    {
        var (ready, reason, message) = (true, "IsReady", "");
        if (issuer["spec"]?["selfSigned"] is null)
        {
            var ca = LoadCa(kind, issuer);
            (ready, reason, message) = ca.Error is null ? (true, "KeyPairVerified", "Signing CA verified") : (false, ca.Reason!, ca.Error);
        }

        UpdateStatus(kind, issuer, o => Conditions.Set(o, CertManagerNames.Ready, ready, reason, message, now, KubeObjects.Generation(issuer)));
    }

    private void ReconcileCertificate(JsonObject certificate, DateTimeOffset now)
    {
        var ns = KubeObjects.Namespace(certificate)!;
        var name = KubeObjects.Name(certificate)!;
        var secretName = KubeObjects.StringAt(certificate, "spec", "secretName");
        if (string.IsNullOrEmpty(secretName))
        {
            UpdateStatus(ResourceKinds.Certificates, certificate, o => Conditions.Set(o, CertManagerNames.Ready, false, "Invalid", "spec.secretName is required", now));
            return;
        }

        var issuerName = KubeObjects.StringAt(certificate, "spec", "issuerRef", "name") ?? "";
        var issuerKindName = KubeObjects.StringAt(certificate, "spec", "issuerRef", "kind") ?? "Issuer";
        var issuerKind = issuerKindName == "ClusterIssuer" ? ResourceKinds.ClusterIssuers : ResourceKinds.Issuers;
        var secret = Store.TryGet(ResourceKinds.Secrets, ns, secretName);
        var reason = IssuanceReason(certificate, secret, issuerName, issuerKindName)
            ?? (RenewalTime(certificate) <= now ? "Renewing" : null);
        if (reason is null)
        {
            UpdateStatus(ResourceKinds.Certificates, certificate, o => Conditions.Set(o, CertManagerNames.Ready, true, "Ready", "Certificate is up to date and has not expired", now, KubeObjects.Generation(certificate)));
            return;
        }

        var issuer = Store.TryGet(issuerKind, issuerKind.Namespaced ? ns : null, issuerName);
        if (issuer is null)
        {
            UpdateStatus(ResourceKinds.Certificates, certificate, o =>
            {
                Conditions.Set(o, CertManagerNames.Issuing, true, reason, $"Issuing certificate as {reason}", now, KubeObjects.Generation(certificate));
                Conditions.Set(o, CertManagerNames.Ready, false, reason, $"Referenced {issuerKindName} \"{issuerName}\" not found", now, KubeObjects.Generation(certificate));
            });
            return;
        }

        IssuedMaterial issued;
        try
        {
            issued = Issue(certificate, issuerKind, issuer, now);
        }
        catch (PkiException e)
        {
            UpdateStatus(ResourceKinds.Certificates, certificate, o =>
            {
                Conditions.Set(o, CertManagerNames.Issuing, true, "Failed", e.Message, now, KubeObjects.Generation(certificate));
                Conditions.Set(o, CertManagerNames.Ready, false, "Failed", e.Message, now, KubeObjects.Generation(certificate));
            });
            return;
        }

        WriteSecret(ns, secretName, name, issuerName, issuerKindName, issued);
        Interlocked.Increment(ref _issuances);
        var seenIssuing = Conditions.Find(certificate, CertManagerNames.Issuing)?.ToJsonString();
        UpdateStatus(ResourceKinds.Certificates, certificate, o =>
        {
            var status = (JsonObject)o["status"]!;
            status["revision"] = KubeObjects.LongAt(status["revision"]) + 1;
            status["notBefore"] = KubeObjects.Timestamp(issued.Certificate.NotBefore);
            status["notAfter"] = KubeObjects.Timestamp(issued.Certificate.NotAfter);
            status["renewalTime"] = KubeObjects.Timestamp(RenewAt(certificate, issued.Certificate));
            // A renewal requested while this one was under way stays requested.
            if (Conditions.Find(o, CertManagerNames.Issuing)?.ToJsonString() == seenIssuing)
            {
                Conditions.Remove(o, CertManagerNames.Issuing);
            }

            Conditions.Set(o, CertManagerNames.Ready, true, "Ready", "Certificate is up to date and has not expired", now, KubeObjects.Generation(certificate));
        }, ensureStatus: true);
    }

    /// <summary>notAfter - spec.renewBefore, or two thirds into the lifetime as cert-manager defaults to.</summary>
    private static DateTimeOffset RenewAt(JsonObject certificate, Certificate issued)
    {
        var lifetime = issued.NotAfter - issued.NotBefore;
        var renewBefore = GoDuration.TryParse(KubeObjects.StringAt(certificate, "spec", "renewBefore"));
        return renewBefore is { } before && before < lifetime ? issued.NotAfter - before : issued.NotBefore + (lifetime * 2 / 3);
    }

    /// <summary>Why the certificate needs issuing now, or null when its secret is current.</summary>
    private static string? IssuanceReason(JsonObject certificate, JsonObject? secret, string issuerName, string issuerKind)
    {
        if (secret is null)
        {
            return "DoesNotExist";
        }

        if (KubeObjects.StringAt(secret, "data", "tls.crt") is null || KubeObjects.StringAt(secret, "data", "tls.key") is null)
        {
            return "MissingData";
        }

        var annotations = KubeObjects.Annotations(secret);
        if (annotations.GetValueOrDefault(CertManagerNames.IssuerNameAnnotation) != issuerName
            || annotations.GetValueOrDefault(CertManagerNames.IssuerKindAnnotation) != issuerKind)
        {
            return "IncorrectIssuer";
        }

        if (SpecMismatch(certificate, secret) is { } mismatch)
        {
            return mismatch;
        }

        return Conditions.IsTrue(certificate, CertManagerNames.Issuing) ? "ManuallyTriggered" : null;
    }

    /// <summary>cert-manager re-issues when the stored certificate no longer matches the spec (SecretMismatch).</summary>
    private static string? SpecMismatch(JsonObject certificate, JsonObject secret)
    {
        Certificate issued;
        try
        {
            issued = Pem.ReadCertificates(KubeObjects.SecretText(secret, "tls.crt")!, "tls.crt")[0];
        }
        catch (Exception e) when (e is PkiException or FormatException)
        {
            return "InvalidCertificate";
        }

        var spec = certificate["spec"] as JsonObject ?? [];
        var isCa = spec["isCA"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        var sameNames = Strings(spec["dnsNames"]).ToHashSet(StringComparer.Ordinal).SetEquals(issued.DnsNames)
            && Strings(spec["uris"]).ToHashSet(StringComparer.Ordinal).SetEquals(issued.UriNames);
        return issued.IsCa != isCa || (!isCa && !sameNames) ? "SecretMismatch" : null;
    }

    private IssuedMaterial Issue(JsonObject certificate, ResourceKind issuerKind, JsonObject issuer, DateTimeOffset now)
    {
        var spec = certificate["spec"] as JsonObject ?? [];
        var key = PrivateKey.Generate(KeyAlgorithmOf(spec));
        var isCa = spec["isCA"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        var commonName = KubeObjects.StringAt(spec, "commonName");
        var dnsNames = Strings(spec["dnsNames"]);
        var uris = Strings(spec["uris"]);
        var subject = commonName is not null ? $"CN={commonName}" : isCa ? $"CN={KubeObjects.Name(certificate)}" : "";
        var duration = GoDuration.TryParse(KubeObjects.StringAt(spec, "duration")) ?? DefaultDuration;

        if (issuer["spec"]?["selfSigned"] is not null)
        {
            var selfSigned = CertificateFactory.CreateRoot(new RootCaRequest(subject.Length == 0 ? $"CN={KubeObjects.Name(certificate)}" : subject, now, now + duration), key);
            var pem = selfSigned.ToPem();
            return new IssuedMaterial(selfSigned, key, pem, pem);
        }

        var ca = LoadCa(issuerKind, issuer);
        if (ca.Error is not null)
        {
            throw new PkiException($"issuer \"{KubeObjects.Name(issuer)}\" is not ready: {ca.Error}");
        }

        var signer = ca.Signer!;
        var notBefore = now > signer.Certificate.NotBefore ? now : signer.Certificate.NotBefore;
        var notAfter = now + duration < signer.Certificate.NotAfter ? now + duration : signer.Certificate.NotAfter;
        var issued = isCa
            ? CertificateFactory.CreateIntermediate(new IntermediateCaRequest(subject, notBefore, notAfter, PathLength: 0), key, signer)
            : CertificateFactory.IssueLeaf(new LeafRequest(subject, notBefore, notAfter, dnsNames, uris), key, signer);
        return new IssuedMaterial(issued, key, issued.ToPem() + EndWithNewline(ca.ChainPem!), ca.CaPem!);
    }

    private CaLoad LoadCa(ResourceKind issuerKind, JsonObject issuer)
    {
        var secretName = KubeObjects.StringAt(issuer, "spec", "ca", "secretName");
        if (secretName is null)
        {
            return CaLoad.Failed("NotSupported", "the simulated cert-manager runs CA and selfSigned issuers only");
        }

        var ns = issuerKind.Namespaced ? KubeObjects.Namespace(issuer) : _clusterResourceNamespace;
        var secret = Store.TryGet(ResourceKinds.Secrets, ns, secretName);
        if (secret is null)
        {
            return CaLoad.Failed("ErrGetKeyPair", $"Error getting keypair for CA issuer: secret \"{secretName}\" not found");
        }

        try
        {
            var chainPem = KubeObjects.SecretText(secret, "tls.crt") ?? throw new PkiException("tls.crt is missing");
            var keyPem = KubeObjects.SecretText(secret, "tls.key") ?? throw new PkiException("tls.key is missing");
            var chain = Pem.ReadCertificates(chainPem, $"secret {ns}/{secretName} tls.crt");
            var signer = CertificateWithKey.Create(chain[0], PrivateKey.FromPem(keyPem));
            var caPem = KubeObjects.SecretText(secret, "ca.crt") ?? chain[^1].ToPem();
            return new CaLoad(signer, chainPem, caPem, null, null);
        }
        catch (Exception e) when (e is PkiException or FormatException)
        {
            return CaLoad.Failed("ErrInvalidKeyPair", $"Error decoding CA keypair in secret \"{secretName}\": {e.Message}");
        }
    }

    private void WriteSecret(string ns, string secretName, string certificateName, string issuerName, string issuerKind, IssuedMaterial issued)
    {
        Store.Upsert(ResourceKinds.Secrets, ns, secretName, current =>
        {
            var secret = current ?? KubeObjects.New(ResourceKinds.Secrets, ns, secretName);
            var annotations = KubeObjects.Metadata(secret)["annotations"] as JsonObject ?? [];
            annotations[CertManagerNames.CertificateNameAnnotation] = certificateName;
            annotations[CertManagerNames.IssuerNameAnnotation] = issuerName;
            annotations[CertManagerNames.IssuerKindAnnotation] = issuerKind;
            annotations[CertManagerNames.IssuerGroupAnnotation] = "cert-manager.io";
            KubeObjects.Metadata(secret)["annotations"] = annotations.DeepClone();
            secret["type"] = "kubernetes.io/tls";
            secret["data"] = KubeObjects.SecretData(new Dictionary<string, string>
            {
                ["tls.crt"] = issued.ChainPem,
                ["tls.key"] = issued.Key.ToPkcs8Pem(),
                ["ca.crt"] = issued.CaPem,
            });
            return secret;
        }, WriteScope.All);
    }

    private void UpdateStatus(ResourceKind kind, JsonObject obj, Action<JsonObject> change, bool ensureStatus = false)
    {
        Store.Modify(kind, KubeObjects.Namespace(obj), KubeObjects.Name(obj)!, current =>
        {
            if (ensureStatus && current["status"] is null)
            {
                current["status"] = new JsonObject();
            }

            change(current);
            return current;
        }, WriteScope.Status);
    }

    private static KeyAlgorithm KeyAlgorithmOf(JsonObject spec)
    {
        var algorithm = KubeObjects.StringAt(spec, "privateKey", "algorithm") ?? "ECDSA";
        var size = KubeObjects.LongAt(spec["privateKey"]?["size"]);
        return algorithm switch
        {
            "RSA" => size switch { 3072 => KeyAlgorithm.Rsa3072, 4096 => KeyAlgorithm.Rsa4096, _ => KeyAlgorithm.Rsa2048 },
            "ECDSA" => size == 384 ? KeyAlgorithm.EcdsaP384 : KeyAlgorithm.EcdsaP256,
            _ => throw new PkiException($"privateKey.algorithm '{algorithm}' is not supported by the simulator; use RSA or ECDSA"),
        };
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(e => e?.GetValue<string>()).OfType<string>().ToList() : [];

    private static string EndWithNewline(string pem) => pem.EndsWith('\n') ? pem : pem + "\n";

    private sealed record IssuedMaterial(Certificate Certificate, PrivateKey Key, string ChainPem, string CaPem);

    private sealed record CaLoad(CertificateWithKey? Signer, string? ChainPem, string? CaPem, string? Reason, string? Error)
    {
        public static CaLoad Failed(string reason, string error) => new(null, null, null, reason, error);
    }
}

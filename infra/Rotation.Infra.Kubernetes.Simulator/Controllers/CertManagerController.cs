using System.Text.Json.Nodes;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// cert-manager with CA and selfSigned issuers, following cert-manager/cert-manager at 2d0d7f7f (after v1.21.1).
/// A Certificate needs issuing when its secret is missing or incomplete, its issuerRef no longer matches the
/// issuer that signed the secret, the stored certificate no longer matches the spec, or its renewal time
/// (notAfter - renewBefore, default two thirds of the lifetime) has come; then, unless it is backing off after
/// failed issuances (1h doubling to 32h), Issuing=True is set. Issuing=True set by anyone (`cmctl renew`) starts an
/// issuance at once. Each issuance is a CertificateRequest (one per revision, owned by the Certificate), approved
/// by the built-in approver and signed by the CA issuer with the chain rules of <see cref="CertManagerChain"/>; a
/// broken chain fails the request (SigningError) and the Certificate (Issuing=False, lastFailureTime,
/// failedIssuanceAttempts). Requests without a Certificate (csi-driver, istio-csr) are signed too. Like
/// cert-manager, a changed CA secret alone re-issues nothing: each signing reads the CA secret at that moment.
/// Simplifications: the request carries the Certificate's spec instead of a CSR, and the private key stays in
/// controller memory until the Secret is written.
/// </summary>
public sealed class CertManagerController : SimulatedMeshController
{
    private static readonly TimeSpan DefaultDuration = TimeSpan.FromDays(90);
    private static readonly TimeSpan MinimumBackoff = TimeSpan.FromHours(1);
    private static readonly TimeSpan MaximumBackoff = TimeSpan.FromHours(32);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PrivateKey> _keys = new(StringComparer.Ordinal);
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
        || change.Kind == ResourceKinds.ClusterIssuers || change.Kind == ResourceKinds.Secrets
        || change.Kind == ResourceKinds.CertificateRequests;

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

        ReconcileRequests(now);
        ScheduleNextRenewal(now);
    }

    private void ScheduleNextRenewal(DateTimeOffset now)
    {
        var next = Store.List(ResourceKinds.Certificates).Items
            .SelectMany(c => new[] { RenewalTime(c), BackoffUntil(c) })
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
        var secret = Store.TryGet(ResourceKinds.Secrets, ns, secretName);
        var generation = KubeObjects.Generation(certificate);

        // certificates-trigger (pkg/controller/certificates/trigger/trigger_controller.go): sets Issuing=True
        // unless the Certificate is backing off after failed issuances. An Issuing=True set by someone else
        // (`cmctl renew`, pkg/renew/renew.go in cert-manager/cmctl) bypasses the backoff, as upstream.
        if (!Conditions.IsTrue(certificate, CertManagerNames.Issuing))
        {
            var reason = IssuanceReason(certificate, secret, issuerName, issuerKindName)
                ?? (RenewalTime(certificate) <= now ? "Renewing" : null);
            if (reason is null)
            {
                UpdateStatus(ResourceKinds.Certificates, certificate, o => Conditions.Set(o, CertManagerNames.Ready, true, "Ready", "Certificate is up to date and has not expired", now, generation));
                return;
            }

            if (BackoffUntil(certificate) is { } retryAt && retryAt > now)
            {
                return;
            }

            certificate = UpdateStatus(ResourceKinds.Certificates, certificate, o =>
            {
                Conditions.Set(o, CertManagerNames.Issuing, true, reason, $"Issuing certificate as {reason}", now, generation);
                // certificates-readiness: no valid Secret, not Ready.
                if (reason is "DoesNotExist" or "MissingData" or "InvalidCertificate")
                {
                    Conditions.Set(o, CertManagerNames.Ready, false, reason, $"Issuing certificate as {reason}", now, generation);
                }
            }, ensureStatus: true);
        }

        // certificates-request-manager: one CertificateRequest per revision, owned by the Certificate. A request
        // that failed before the current Issuing condition was set belongs to an earlier attempt and is replaced
        // (pkg/controller/certificates/issuing/issuing_controller.go compares FailureTime with the condition's
        // lastTransitionTime; the simulator's timestamps have one-second resolution, so equal counts as earlier).
        var revision = KubeObjects.LongAt(certificate["status"]?["revision"]) + 1;
        var requestName = $"{name}-{revision}";
        var request = Store.TryGet(ResourceKinds.CertificateRequests, ns, requestName);
        if (request is not null && IsFailed(request) && FailureTime(request) <= IssuingSince(certificate))
        {
            Store.Delete(ResourceKinds.CertificateRequests, ns, requestName);
            request = null;
        }

        request ??= CreateRequest(certificate, requestName, revision);
        request = ApproveAndSign(request, now);

        // certificates-issuing: a signed request is written to the Secret; a failed one ends this issuance with
        // Issuing=False, lastFailureTime and failedIssuanceAttempts (failIssueCertificate), which starts the backoff.
        var ready = KubeObjects.StringAt(Conditions.Find(request, CertManagerNames.Ready), "reason");
        if (ready == "Issued")
        {
            var chainPem = KubeObjects.StringAt(request, "status", "certificate") is { } c ? FromBase64(c) : "";
            var caPem = KubeObjects.StringAt(request, "status", "ca") is { } ca ? FromBase64(ca) : null;
            var leaf = Pem.ReadCertificates(chainPem, $"certificaterequest {ns}/{requestName}")[0];
            var key = _keys.TryGetValue($"{ns}/{requestName}", out var k) ? k : throw new PkiException($"private key of {ns}/{requestName} is gone");
            WriteSecret(ns, secretName, name, issuerName, issuerKindName, chainPem, caPem, key);
            _keys.TryRemove($"{ns}/{requestName}", out _);
            Interlocked.Increment(ref _issuances);
            UpdateStatus(ResourceKinds.Certificates, certificate, o =>
            {
                var status = (JsonObject)o["status"]!;
                status["revision"] = revision;
                status["notBefore"] = KubeObjects.Timestamp(leaf.NotBefore);
                status["notAfter"] = KubeObjects.Timestamp(leaf.NotAfter);
                status["renewalTime"] = KubeObjects.Timestamp(RenewAt(certificate, leaf));
                status.Remove("lastFailureTime");
                status.Remove("failedIssuanceAttempts");
                Conditions.Remove(o, CertManagerNames.Issuing);
                Conditions.Set(o, CertManagerNames.Ready, true, "Ready", "Certificate is up to date and has not expired", now, generation);
            }, ensureStatus: true);
        }
        else if (ready == "Failed")
        {
            var message = $"The certificate request has failed to complete and will be retried: {KubeObjects.StringAt(Conditions.Find(request, CertManagerNames.Ready), "message")}";
            UpdateStatus(ResourceKinds.Certificates, certificate, o =>
            {
                var status = (JsonObject)o["status"]!;
                status["lastFailureTime"] = KubeObjects.Timestamp(now);
                status["failedIssuanceAttempts"] = KubeObjects.LongAt(status["failedIssuanceAttempts"]) + 1;
                Conditions.Set(o, CertManagerNames.Issuing, false, "Failed", message, now, generation);
                if (secret is null)
                {
                    Conditions.Set(o, CertManagerNames.Ready, false, "DoesNotExist", "Issuing certificate as Secret does not exist", now, generation);
                }
            }, ensureStatus: true);
        }
    }

    /// <summary>
    /// When a failing Certificate may be retried: lastFailureTime + 1h * 2^(failedIssuanceAttempts-1), capped at
    /// 32h (shouldBackoffReissuingOnFailure in pkg/controller/certificates/trigger/trigger_controller.go; defaults
    /// in internal/apis/config/controller/v1alpha1/defaults.go, cert-manager 2d0d7f7f).
    /// </summary>
    public static DateTimeOffset? BackoffUntil(JsonObject certificate)
    {
        if (!TryTime(KubeObjects.StringAt(certificate, "status", "lastFailureTime"), out var failedAt))
        {
            return null;
        }

        var attempts = KubeObjects.LongAt(certificate["status"]?["failedIssuanceAttempts"]);
        var delay = MinimumBackoff;
        if (attempts > 1)
        {
            var computed = MinimumBackoff * Math.Pow(2, Math.Min(attempts - 1, 30));
            delay = computed > MaximumBackoff ? MaximumBackoff : computed;
        }

        return failedAt + delay;
    }

    private JsonObject CreateRequest(JsonObject certificate, string requestName, long revision)
    {
        var ns = KubeObjects.Namespace(certificate)!;
        var request = KubeObjects.New(ResourceKinds.CertificateRequests, ns, requestName);
        var metadata = KubeObjects.Metadata(request);
        metadata["annotations"] = new JsonObject
        {
            ["cert-manager.io/certificate-name"] = KubeObjects.Name(certificate),
            ["cert-manager.io/certificate-revision"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        metadata["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "cert-manager.io/v1",
            ["kind"] = "Certificate",
            ["name"] = KubeObjects.Name(certificate),
            ["uid"] = KubeObjects.StringAt(certificate, "metadata", "uid"),
            ["controller"] = true,
            ["blockOwnerDeletion"] = true,
        });
        var spec = (JsonObject)(certificate["spec"]?.DeepClone() ?? new JsonObject());
        spec.Remove("secretName");
        request["spec"] = spec;
        return Store.Create(ResourceKinds.CertificateRequests, ns, request);
    }

    private void ReconcileRequests(DateTimeOffset now)
    {
        foreach (var request in Store.List(ResourceKinds.CertificateRequests).Items)
        {
            try
            {
                ApproveAndSign(request, now);
            }
            catch (KubeApiException e) when (e.Code is 404 or 409)
            {
            }
        }
    }

    /// <summary>
    /// The approver (cert-manager's built-in one approves every request) and the CA signer
    /// (pkg/controller/certificaterequests/ca/ca.go Sign): SecretMissing/SecretInvalidData leave the request
    /// Pending; a signing error fails it (Ready=False, reason Failed, "Error signing certificate: ...", failureTime).
    /// </summary>
    private JsonObject ApproveAndSign(JsonObject request, DateTimeOffset now)
    {
        var ns = KubeObjects.Namespace(request)!;
        var name = KubeObjects.Name(request)!;
        if (Conditions.Find(request, "Approved") is null && Conditions.Find(request, "Denied") is null)
        {
            request = UpdateStatus(ResourceKinds.CertificateRequests, request, o => Conditions.Set(o, "Approved", true, "cert-manager.io", "Certificate request has been approved by cert-manager.io", now), ensureStatus: true);
        }

        var readyReason = KubeObjects.StringAt(Conditions.Find(request, CertManagerNames.Ready), "reason");
        if (readyReason is "Issued" or "Failed" || !Conditions.IsTrue(request, "Approved"))
        {
            return request;
        }

        var issuerName = KubeObjects.StringAt(request, "spec", "issuerRef", "name") ?? "";
        var issuerKind = KubeObjects.StringAt(request, "spec", "issuerRef", "kind") == "ClusterIssuer" ? ResourceKinds.ClusterIssuers : ResourceKinds.Issuers;
        var issuer = Store.TryGet(issuerKind, issuerKind.Namespaced ? ns : null, issuerName);
        if (issuer is null)
        {
            return UpdateStatus(ResourceKinds.CertificateRequests, request, o => Conditions.Set(o, CertManagerNames.Ready, false, "Pending", $"Referenced \"{issuerKind.Kind}\" not found: {issuerName}", now), ensureStatus: true);
        }

        var key = _keys.GetOrAdd($"{ns}/{name}", _ => PrivateKey.Generate(KeyAlgorithmOf(request["spec"] as JsonObject ?? [])));
        try
        {
            var (chainPem, caPem) = Sign(request, issuerKind, issuer, key, now);
            return UpdateStatus(ResourceKinds.CertificateRequests, request, o =>
            {
                var status = (JsonObject)o["status"]!;
                status["certificate"] = ToBase64(chainPem);
                if (caPem is not null)
                {
                    status["ca"] = ToBase64(caPem);
                }

                Conditions.Set(o, CertManagerNames.Ready, true, "Issued", "Certificate fetched from issuer successfully", now);
            }, ensureStatus: true);
        }
        catch (PendingException e)
        {
            return UpdateStatus(ResourceKinds.CertificateRequests, request, o => Conditions.Set(o, CertManagerNames.Ready, false, "Pending", e.Message, now), ensureStatus: true);
        }
        catch (PkiException e)
        {
            RecordEvent(request, "Warning", "SigningError", $"Error signing certificate: {e.Message}", now);
            return UpdateStatus(ResourceKinds.CertificateRequests, request, o =>
            {
                ((JsonObject)o["status"]!)["failureTime"] = KubeObjects.Timestamp(now);
                Conditions.Set(o, CertManagerNames.Ready, false, "Failed", $"Error signing certificate: {e.Message}", now);
            }, ensureStatus: true);
        }
    }

    private (string ChainPem, string? CaPem) Sign(JsonObject request, ResourceKind issuerKind, JsonObject issuer, PrivateKey key, DateTimeOffset now)
    {
        var spec = request["spec"] as JsonObject ?? [];
        var isCa = spec["isCA"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        var commonName = KubeObjects.StringAt(spec, "commonName");
        var subject = commonName is not null ? $"CN={commonName}" : isCa ? $"CN={KubeObjects.Name(request)}" : "";
        var duration = GoDuration.TryParse(KubeObjects.StringAt(spec, "duration")) ?? DefaultDuration;
        // Upstream does not cap notAfter at the CA's (pkg/util/pki/certificatetemplate.go CertificateTemplateOverrideDuration,
        // pkg/util/pki/csr.go SignCertificate signs what the template asks): a leaf may outlive its CA. Rotation's PKI
        // refuses to sign past its issuer, so such a leaf is minted within the CA's validity and re-signed with the
        // requested notAfter (PastIssuerSigner).
        var (notBefore, notAfter) = (now, now + duration);

        if (issuer["spec"]?["selfSigned"] is not null)
        {
            var selfSigned = CertificateFactory.CreateRoot(new RootCaRequest(subject.Length == 0 ? $"CN={KubeObjects.Name(request)}" : subject, notBefore, notAfter), key);
            return (selfSigned.ToPem(), selfSigned.ToPem());
        }

        var ca = LoadCa(issuerKind, issuer);
        if (ca.Error is not null)
        {
            throw new PendingException($"Failed to get signing CA: {ca.Error}");
        }

        var signer = ca.Signer!;
        notBefore = notBefore < signer.Certificate.NotBefore ? signer.Certificate.NotBefore : notBefore;
        var minted = notAfter > signer.Certificate.NotAfter ? signer.Certificate.NotAfter : notAfter;
        var issued = isCa
            ? CertificateFactory.CreateIntermediate(new IntermediateCaRequest(subject, notBefore, minted, PathLength: 0), key, signer)
            : CertificateFactory.IssueLeaf(new LeafRequest(subject, notBefore, minted, Strings(spec["dnsNames"]), Strings(spec["uris"])), key, signer);
        if (minted != notAfter)
        {
            issued = PastIssuerSigner.WithNotAfter(issued, signer, notAfter);
        }

        return CertManagerChain.ParseSingleCertificateChain(ca.SigningChain!.Append(issued));
    }

    private void RecordEvent(JsonObject involved, string type, string reason, string message, DateTimeOffset now)
    {
        var ns = KubeObjects.Namespace(involved)!;
        var ev = KubeObjects.New(ResourceKinds.Events, ns, $"{KubeObjects.Name(involved)}.{Guid.NewGuid():N}"[..Math.Min(63, KubeObjects.Name(involved)!.Length + 33)]);
        ev["type"] = type;
        ev["reason"] = reason;
        ev["message"] = message;
        ev["involvedObject"] = new JsonObject { ["kind"] = KubeObjects.StringAt(involved, "kind"), ["namespace"] = ns, ["name"] = KubeObjects.Name(involved) };
        ev["firstTimestamp"] = KubeObjects.Timestamp(now);
        Store.Create(ResourceKinds.Events, ns, ev);
    }

    private static bool IsFailed(JsonObject request) => KubeObjects.StringAt(Conditions.Find(request, CertManagerNames.Ready), "reason") == "Failed";

    private static DateTimeOffset FailureTime(JsonObject request) =>
        TryTime(KubeObjects.StringAt(request, "status", "failureTime"), out var at) ? at : DateTimeOffset.MinValue;

    private static DateTimeOffset IssuingSince(JsonObject certificate) =>
        TryTime(KubeObjects.StringAt(Conditions.Find(certificate, CertManagerNames.Issuing), "lastTransitionTime"), out var at) ? at : DateTimeOffset.MaxValue;

    private static bool TryTime(string? text, out DateTimeOffset at) =>
        DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out at);

    private static string ToBase64(string text) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text));

    private static string FromBase64(string text) => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(text));

    private sealed class PendingException(string message) : Exception(message);

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
            var chain = CertManagerChain.SigningChain(chainPem, KubeObjects.SecretText(secret, "ca.crt"), $"secret {ns}/{secretName}");
            var signer = CertificateWithKey.Create(chain[0], PrivateKey.FromPem(keyPem));
            return new CaLoad(signer, chain, null, null);
        }
        catch (Exception e) when (e is PkiException or FormatException)
        {
            return CaLoad.Failed("ErrInvalidKeyPair", $"Error decoding CA keypair in secret \"{secretName}\": {e.Message}");
        }
    }

    /// <summary>
    /// The issuing controller's secret write (pkg/controller/certificates/issuing/internal/secret.go): tls.crt is
    /// the request's chain, ca.crt its CA (the root of the built chain since v1.4, cert-manager PR #3978) when
    /// there is one, tls.key the key. An existing Secret keeps its type; a new one is kubernetes.io/tls.
    /// </summary>
    private void WriteSecret(string ns, string secretName, string certificateName, string issuerName, string issuerKind, string chainPem, string? caPem, PrivateKey key)
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
            secret["type"] = current is null ? "kubernetes.io/tls" : KubeObjects.StringAt(current, "type") ?? "Opaque";
            var data = new Dictionary<string, string>
            {
                ["tls.crt"] = chainPem,
                ["tls.key"] = key.ToPkcs8Pem(),
            };
            if (caPem is not null)
            {
                data["ca.crt"] = caPem;
            }

            var merged = secret["data"] as JsonObject ?? [];
            foreach (var (k, v) in KubeObjects.SecretData(data))
            {
                merged[k] = v?.DeepClone();
            }

            secret["data"] = merged.DeepClone();
            return secret;
        }, WriteScope.All);
    }

    private JsonObject UpdateStatus(ResourceKind kind, JsonObject obj, Action<JsonObject> change, bool ensureStatus = false) =>
        Store.Modify(kind, KubeObjects.Namespace(obj), KubeObjects.Name(obj)!, current =>
        {
            if (ensureStatus && current["status"] is null)
            {
                current["status"] = new JsonObject();
            }

            change(current);
            return current;
        }, WriteScope.Status);

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

    private sealed record CaLoad(CertificateWithKey? Signer, IReadOnlyList<Certificate>? SigningChain, string? Reason, string? Error)
    {
        public static CaLoad Failed(string reason, string error) => new(null, null, reason, error);
    }
}

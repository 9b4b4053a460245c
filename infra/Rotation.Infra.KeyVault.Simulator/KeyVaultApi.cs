using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Rotation.Infra.KeyVault.Simulator;

/// <summary>
/// The data-plane operations Rotation calls, after the REST specification (api-version 7.5,
/// specification/keyvault/data-plane/Microsoft.KeyVault/stable/7.5/certificates.json, secrets.json, keys.json):
/// POST certificates/{name}/create, GET and DELETE certificates/{name}/pending, POST certificates/{name}/pending/merge,
/// GET certificates/{name}[/{version}], GET certificates/{name}/versions, PATCH certificates/{name}/{version},
/// GET secrets/{name}/{version}, GET keys/{name}/{version}, POST keys/{name}/{version}/sign; and plain secrets
/// (<see cref="KeyVaultApi"/>.Secrets.cs): PUT secrets/{name}, GET secrets/{name}[/{version}], GET secrets/{name}/versions.
/// </summary>
internal sealed partial class KeyVaultApi(SimulatedKeyVault vault, TimeProvider time, bool premium)
{
    // Like the service: '+' and '/' of base64 stay as they are, not \u002B escapes.
    private static readonly JsonSerializerOptions Output = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SimulatedCertificate> _certificates = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<KeyVaultExchange> _exchanges = new();
    private readonly ConcurrentDictionary<string, int> _signatures = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<KeyVaultExchange> Exchanges => _exchanges.ToArray();

    public IReadOnlyDictionary<string, int> Signatures => new Dictionary<string, int>(_signatures);

    public IReadOnlyList<SimulatedCertificateVersion> Versions(string name)
    {
        lock (_gate)
        {
            return _certificates.TryGetValue(name, out var c) ? c.Versions.ToList() : [];
        }
    }

    public bool HasPendingOperation(string name)
    {
        lock (_gate)
        {
            return _certificates.TryGetValue(name, out var c) && c.Operation is { Status: "inProgress" };
        }
    }

    public IReadOnlyList<(string Name, string Version, bool Exportable, byte[] Pkcs8)> KeyMaterial()
    {
        lock (_gate)
        {
            return _certificates.Values.SelectMany(c => c.Versions)
                .Select(v => (v.Name, v.Version, v.KeyProperties.Exportable, v.Key.ExportPkcs8PrivateKey()))
                .ToList();
        }
    }

    public async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var body = await new StreamReader(request.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted);
        var authorized = request.Headers.Authorization.ToString() == "Bearer " + vault.AcceptedToken;
        Reply reply;
        // Faults apply to authorized requests only: the SDK's first, body-less challenge request must not consume them.
        var fault = authorized ? vault.Faults.Take(request.Method, path, body) : null;
        if (fault is not null && fault.Delay > TimeSpan.Zero)
        {
            await Task.Delay(fault.Delay, context.RequestAborted);
        }

        if (fault is { Abort: true, AfterServing: false })
        {
            _exchanges.Enqueue(new KeyVaultExchange(request.Method, path, 0, body, "(connection dropped before serving)", authorized));
            context.Abort();
            return;
        }

        if (!authorized)
        {
            // As the service answers (recorded exchange cited on SimulatedKeyVault): the challenge names the tenant's
            // authority and the resource whose "/.default" scope the client asks a token for.
            reply = Error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
            context.Response.Headers.WWWAuthenticate = $"Bearer authorization=\"https://login.microsoftonline.com/{vault.TenantId}\", resource=\"{SimulatedKeyVault.Resource}\"";
        }
        else if (fault?.Status is { } status)
        {
            reply = status switch
            {
                429 => Error(429, "Throttled", "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"),
                409 => Error(409, "Conflict", "There was a conflict while processing the request: another operation on this object is in progress."),
                _ => Error(status, "ServiceUnavailable", "The service is temporarily unavailable."),
            };
            if (fault.RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }
        }
        else if (string.IsNullOrEmpty(request.Query["api-version"]))
        {
            reply = Error(400, "BadParameter", "The 'api-version' query parameter is missing.");
        }
        else
        {
            try
            {
                reply = Route(request.Method, path.Trim('/').Split('/'), body, context);
            }
            catch (JsonException ex)
            {
                reply = Error(400, "BadParameter", "The request body is not valid JSON: " + ex.Message);
            }
            catch (BadRequest ex)
            {
                reply = Error(ex.Status, ex.Code, ex.Message);
            }
        }

        var text = reply.Body?.ToJsonString(Output) ?? string.Empty;
        _exchanges.Enqueue(new KeyVaultExchange(request.Method, path, reply.Status, body, text, authorized));
        if (fault is { Abort: true, AfterServing: true })
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = reply.Status;
        context.Response.Headers["x-ms-keyvault-service-version"] = "1.9.0.0-simulated";
        if (reply.Body is not null)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(text, context.RequestAborted);
        }
    }

    private Reply Route(string method, string[] s, string body, HttpContext context)
    {
        if (s is ["certificates" or "secrets" or "keys", var objectName, ..] && !KeyVaultObjectNames.IsValid(objectName))
        {
            return Error(400, "BadParameter", $"The request URI contains an invalid name: {objectName}");
        }

        switch (method, s)
        {
            case ("POST", ["certificates", var name, "create"]):
                return Create(name, Parse(body), context);
            case ("POST", ["certificates", var name, "import"]):
                return Import(name, Parse(body));
            case ("GET", ["certificates", var name, "pending"]):
                return GetOperation(name);
            case ("DELETE", ["certificates", var name, "pending"]):
                return DeleteOperation(name);
            case ("POST", ["certificates", var name, "pending", "merge"]):
                return Merge(name, Parse(body));
            case ("GET", ["certificates", var name, "versions"]):
                return ListVersions(name);
            case ("GET", ["certificates", var name]):
                return GetCertificate(name, null);
            case ("GET", ["certificates", var name, ""]):
                return GetCertificate(name, null);
            case ("GET", ["certificates", var name, var version]):
                return GetCertificate(name, version);
            case ("PATCH", ["certificates", var name, var version]):
                return Update(name, version, Parse(body));
            case ("PUT", ["secrets", var name]):
                return SetSecret(name, Parse(body));
            case ("GET", ["secrets", var name, "versions"]) when !HasCertificate(name):
                return ListSecretVersions(name);
            case ("GET", ["secrets", var name]) when !HasCertificate(name):
                return GetPlainSecret(name, null);
            case ("GET", ["secrets", var name, var version]) when !HasCertificate(name):
                return GetPlainSecret(name, version.Length == 0 ? null : version);
            case ("GET", ["secrets", var name, var version]):
                return GetSecret(name, version);
            case ("GET", ["keys", var name, var version]):
                return GetKey(name, version);
            case ("POST", ["keys", var name, var version, "sign"]):
                return Sign(name, version, Parse(body));
            default:
                return Error(404, "NotFound", $"{method} /{string.Join('/', s)} is not an operation this simulator serves.");
        }
    }

    private Reply Create(string name, JsonObject body, HttpContext context)
    {
        var policy = body["policy"] as JsonObject ?? throw new BadRequest("BadParameter", "Property policy is required.");
        var issuer = policy["issuer"]?["name"]?.GetValue<string>() ?? "Unknown";
        var keyProps = ReadKeyProperties(policy);
        var subject = policy["x509_props"]?["subject"]?.GetValue<string>() ?? throw new BadRequest("BadParameter", "Property x509_props.subject is required.");
        var months = policy["x509_props"]?["validity_months"]?.GetValue<int>() ?? 12;
        var tags = ReadTags(body["tags"]);
        var enabled = body["attributes"]?["enabled"]?.GetValue<bool>() ?? true;
        lock (_gate)
        {
            if (NewVersionTarget(name) is not { } certificate)
            {
                return PendingConflict(name);
            }

            var key = keyProps.ReuseKey && certificate.Versions.Count > 0
                ? certificate.Versions[^1].Key
                : NewKey(keyProps);
            var csr = CreateCsr(subject, key);
            var operation = new SimulatedOperation
            {
                RequestId = Guid.NewGuid().ToString("N"),
                IssuerName = issuer,
                Key = key,
                Csr = csr,
                KeyProperties = keyProps,
                Policy = Normalize(name, policy, keyProps),
                Tags = tags,
                Enabled = enabled,
            };
            certificate.Operation = operation;
            certificate.Policy = operation.Policy;
            var reply = OperationJson(name, operation);
            if (string.Equals(issuer, "Self", StringComparison.OrdinalIgnoreCase))
            {
                // The service issues a self-signed certificate in the background; this one finishes at once, and the
                // client sees it complete on its next poll of …/pending.
                var now = time.GetUtcNow();
                var der = SelfSigned(subject, key, now, now.AddMonths(months), policy);
                AddVersion(name, certificate, operation, der, [der], tags);
            }

            context.Response.Headers.Location = $"{vault.Base}/certificates/{name}/pending?api-version=7.5&request_id={operation.RequestId}";
            context.Response.Headers.RetryAfter = "1";
            return new Reply(202, reply);
        }
    }

    /// <summary>
    /// The certificate a create or an import adds a version to (made on first use), or null while a pending create
    /// holds the name (the service answers 409 then). Call inside the lock.
    /// </summary>
    private SimulatedCertificate? NewVersionTarget(string name)
    {
        var certificate = _certificates.TryGetValue(name, out var existing) ? existing : _certificates[name] = new SimulatedCertificate();
        return certificate.Operation is { Status: "inProgress" } ? null : certificate;
    }

    private static Reply PendingConflict(string name) =>
        Error(409, "Conflict", $"Certificate {name} has a pending create operation in progress: merge or cancel it first.");

    private Reply GetOperation(string name)
    {
        lock (_gate)
        {
            return _certificates.TryGetValue(name, out var c) && c.Operation is { } op
                ? new Reply(200, OperationJson(name, op))
                : Error(404, "CertificateNotFound", $"Pending certificate not found: {name}");
        }
    }

    /// <summary>
    /// DeleteCertificateOperation (certificates.json, "/certificates/{certificate-name}/pending" delete): "Deletes the
    /// creation operation for a specified certificate that is in the process of being created. The certificate is no
    /// longer created." 200 with the operation as it was; the name takes a new create afterwards.
    /// </summary>
    private Reply DeleteOperation(string name)
    {
        lock (_gate)
        {
            if (!_certificates.TryGetValue(name, out var c) || c.Operation is not { } op)
            {
                return Error(404, "CertificateNotFound", $"Pending certificate not found: {name}");
            }

            c.Operation = null;
            return new Reply(200, OperationJson(name, op));
        }
    }

    private Reply Merge(string name, JsonObject body)
    {
        var x5c = (body["x5c"] as JsonArray)?.Select(n => Convert.FromBase64String(n!.GetValue<string>())).ToList()
            ?? throw new BadRequest("BadParameter", "Property x5c is required.");
        if (x5c.Count == 0)
        {
            throw new BadRequest("BadParameter", "Property x5c must hold at least one certificate.");
        }

        lock (_gate)
        {
            if (!_certificates.TryGetValue(name, out var c) || c.Operation is not { Status: "inProgress" } op)
            {
                return Error(404, "CertificateNotFound", $"Pending certificate not found: {name}");
            }

            if (!string.Equals(op.IssuerName, "Unknown", StringComparison.OrdinalIgnoreCase))
            {
                return Error(400, "BadParameter", "Merge is only allowed for a certificate operation whose issuer is Unknown.");
            }

            using var leaf = X509CertificateLoader.LoadCertificate(x5c[0]);
            if (!SamePublicKey(leaf, op.Key))
            {
                return Error(400, "BadParameter", "Public key from x509 certificate and key of this instance doesn't match");
            }

            var tags = body["tags"] is JsonObject ? ReadTags(body["tags"]) : op.Tags;
            var version = AddVersion(name, c, op, x5c[0], x5c, tags);
            if (body["attributes"]?["enabled"]?.GetValue<bool>() is { } enabled)
            {
                version.Enabled = enabled;
            }

            return new Reply(201, BundleJson(version, c.Policy));
        }
    }

    private Reply ListVersions(string name)
    {
        lock (_gate)
        {
            var items = new JsonArray();
            if (_certificates.TryGetValue(name, out var c))
            {
                foreach (var v in c.Versions)
                {
                    items.Add(new JsonObject
                    {
                        ["id"] = $"{vault.Base}/certificates/{name}/{v.Version}",
                        ["x5t"] = X5t(v.Der),
                        ["attributes"] = Attributes(v),
                        ["tags"] = TagsJson(v.Tags),
                    });
                }
            }

            return new Reply(200, new JsonObject { ["value"] = items, ["nextLink"] = null });
        }
    }

    private Reply GetCertificate(string name, string? version)
    {
        lock (_gate)
        {
            var v = Find(name, version);
            return v is null
                ? Error(404, "CertificateNotFound", $"A certificate with (name/id) {name}{(version is null ? "" : "/" + version)} was not found in this key vault.")
                : new Reply(200, BundleJson(v, version is null ? _certificates[name].Policy : null));
        }
    }

    private Reply Update(string name, string version, JsonObject body)
    {
        lock (_gate)
        {
            var v = Find(name, string.IsNullOrEmpty(version) ? null : version);
            if (v is null)
            {
                return Error(404, "CertificateNotFound", $"A certificate with (name/id) {name}/{version} was not found in this key vault.");
            }

            if (body["attributes"]?["enabled"]?.GetValue<bool>() is { } enabled)
            {
                v.Enabled = enabled;
            }

            if (body["tags"] is JsonObject)
            {
                v.Tags = ReadTags(body["tags"]);
            }

            v.Updated = time.GetUtcNow();
            return new Reply(200, BundleJson(v, _certificates[name].Policy));
        }
    }

    private Reply GetSecret(string name, string version)
    {
        lock (_gate)
        {
            var v = Find(name, string.IsNullOrEmpty(version) ? null : version);
            if (v is null)
            {
                return Error(404, "SecretNotFound", $"A secret with (name/id) {name}/{version} was not found in this key vault.");
            }

            if (!v.Enabled)
            {
                return Error(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
            }

            var contentType = v.Policy["secret_props"]?["contentType"]?.GetValue<string>() ?? "application/x-pkcs12";
            // A non-exportable key has no private part in its secret, ever: only the certificate chain is there.
            string value;
            if (contentType == "application/x-pem-file")
            {
                var pem = new StringBuilder();
                if (v.KeyProperties.Exportable)
                {
                    pem.Append(PemEncoding.WriteString("PRIVATE KEY", v.Key.ExportPkcs8PrivateKey())).Append('\n');
                }

                foreach (var der in v.Chain)
                {
                    pem.Append(PemEncoding.WriteString("CERTIFICATE", der)).Append('\n');
                }

                value = pem.ToString();
            }
            else
            {
                using var certificate = X509CertificateLoader.LoadCertificate(v.Der);
                using var withKey = v.KeyProperties.Exportable ? CopyWithKey(certificate, v.Key) : null;
                value = Convert.ToBase64String((withKey ?? certificate).Export(X509ContentType.Pkcs12));
            }

            return new Reply(200, new JsonObject
            {
                ["value"] = value,
                ["contentType"] = contentType,
                ["id"] = $"{vault.Base}/secrets/{name}/{v.Version}",
                ["managed"] = true,
                ["attributes"] = Attributes(v),
                ["tags"] = TagsJson(v.Tags),
                ["kid"] = $"{vault.Base}/keys/{name}/{v.Version}",
            });
        }
    }

    private Reply GetKey(string name, string version)
    {
        lock (_gate)
        {
            var v = Find(name, string.IsNullOrEmpty(version) ? null : version);
            return v is null
                ? Error(404, "KeyNotFound", $"A key with (name/id) {name}/{version} was not found in this key vault.")
                : new Reply(200, new JsonObject
                {
                    ["key"] = Jwk($"{vault.Base}/keys/{name}/{v.Version}", v),
                    ["attributes"] = Attributes(v),
                    ["tags"] = TagsJson(v.Tags),
                    ["managed"] = true,
                });
        }
    }

    private Reply Sign(string name, string version, JsonObject body)
    {
        var alg = body["alg"]?.GetValue<string>() ?? throw new BadRequest("BadParameter", "Property alg is required.");
        var digest = Base64Url.DecodeFromChars(body["value"]?.GetValue<string>() ?? throw new BadRequest("BadParameter", "Property value is required."));
        lock (_gate)
        {
            var v = Find(name, version);
            if (v is null)
            {
                return Error(404, "KeyNotFound", $"A key with (name/id) {name}/{version} was not found in this key vault.");
            }

            // A certificate's attributes are mirrored to its addressable key, and enabled says whether it is "operable
            // as a key" (MicrosoftDocs/azure-security-docs@1d3c3b65 articles/key-vault/certificates/about-certificates.md,
            // "Attributes"): a disabled version signs nothing. The 403 body (code Forbidden, inner KeyDisabled, "Operation
            // sign is not allowed on a disabled key.") follows the wording Key Vault documents for a disabled key
            // (…/managed-hsm/ekm-proxy-api reference: {"code":"KeyDisabled","message":"Operation WrapKey is not allowed on
            // a disabled key"}); no recorded exchange of keys/sign on a disabled key was found.
            if (!v.Enabled)
            {
                return Error(403, "Forbidden", "Operation sign is not allowed on a disabled key.", "KeyDisabled");
            }

            if (!v.KeyProperties.KeyOps.Contains("sign"))
            {
                return Error(403, "Forbidden", "Operation sign is not permitted on this key: its certificate policy's key_usage does not allow signing.", "OperationNotAllowed");
            }

            byte[] signature = (alg, v.Key) switch
            {
                ("ES256", ECDsa ec) when ec.KeySize == 256 && digest.Length == 32 => ec.SignHash(digest),
                ("ES384", ECDsa ec) when ec.KeySize == 384 && digest.Length == 48 => ec.SignHash(digest),
                ("RS256", RSA rsa) when digest.Length == 32 => rsa.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                ("RS384", RSA rsa) when digest.Length == 48 => rsa.SignHash(digest, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
                ("PS256", RSA rsa) when digest.Length == 32 => rsa.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
                _ => throw new BadRequest("BadParameter", $"Algorithm {alg} with a {digest.Length}-byte digest does not fit this {v.KeyProperties.Kty} key."),
            };
            _signatures.AddOrUpdate($"{name}/{v.Version}", 1, (_, n) => n + 1);
            return new Reply(200, new JsonObject
            {
                ["kid"] = $"{vault.Base}/keys/{name}/{v.Version}",
                ["value"] = Base64Url.EncodeToString(signature),
            });
        }
    }

    private SimulatedCertificateVersion AddVersion(string name, SimulatedCertificate certificate, SimulatedOperation operation, byte[] der, IReadOnlyList<byte[]> chain, Dictionary<string, string> tags)
    {
        using var parsed = X509CertificateLoader.LoadCertificate(der);
        var now = time.GetUtcNow();
        var version = new SimulatedCertificateVersion
        {
            Name = name,
            Version = Guid.NewGuid().ToString("N"),
            Der = der,
            Chain = chain,
            Key = operation.Key,
            KeyProperties = operation.KeyProperties,
            Policy = operation.Policy,
            Tags = tags,
            Enabled = operation.Enabled,
            Created = now,
            Updated = now,
            NotBefore = parsed.NotBefore.ToUniversalTime(),
            Expires = parsed.NotAfter.ToUniversalTime(),
        };
        certificate.Versions.Add(version);
        operation.Status = "completed";
        operation.Target = $"{vault.Base}/certificates/{name}";
        return version;
    }

    private SimulatedCertificateVersion? Find(string name, string? version)
    {
        if (!_certificates.TryGetValue(name, out var c) || c.Versions.Count == 0)
        {
            return null;
        }

        return version is null ? c.Versions[^1] : c.Versions.FirstOrDefault(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase));
    }

    private KeyProperties ReadKeyProperties(JsonObject policy)
    {
        var props = policy["key_props"] as JsonObject ?? [];
        var kty = props["kty"]?.GetValue<string>() ?? "RSA";
        var exportable = props["exportable"]?.GetValue<bool>() ?? false;
        var hsm = kty.EndsWith("-HSM", StringComparison.OrdinalIgnoreCase);
        if (hsm && !premium)
        {
            throw new BadRequest("BadParameter", $"Key type {kty} is only supported by a Premium vault.");
        }

        if (hsm && exportable)
        {
            throw new BadRequest("BadParameter", "HSM keys cannot be exportable.");
        }

        var usages = (policy["x509_props"]?["key_usage"] as JsonArray)?.Select(u => u!.GetValue<string>()).ToList() ?? ["digitalSignature", "keyEncipherment"];
        var ops = new List<string>();
        if (usages.Any(u => u is "digitalSignature" or "keyCertSign" or "cRLSign" or "nonRepudiation"))
        {
            ops.AddRange(["sign", "verify"]);
        }

        if (usages.Any(u => u is "keyEncipherment" or "dataEncipherment" or "keyAgreement"))
        {
            ops.AddRange(["encrypt", "decrypt", "wrapKey", "unwrapKey"]);
        }

        return kty.StartsWith("EC", StringComparison.OrdinalIgnoreCase)
            ? new KeyProperties(kty, props["crv"]?.GetValue<string>() ?? "P-256", null, exportable, props["reuse_key"]?.GetValue<bool>() ?? false, ops)
            : new KeyProperties(kty, null, props["key_size"]?.GetValue<int>() ?? 2048, exportable, props["reuse_key"]?.GetValue<bool>() ?? false, ops);
    }

    private static AsymmetricAlgorithm NewKey(KeyProperties props) => props.Curve switch
    {
        "P-256" => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        "P-384" => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        "P-521" => ECDsa.Create(ECCurve.NamedCurves.nistP521),
        null => RSA.Create(props.KeySize ?? 2048),
        _ => throw new BadRequest("BadParameter", $"Curve {props.Curve} is not supported."),
    };

    private static byte[] CreateCsr(string subject, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new CertificateRequest(new X500DistinguishedName(subject), ec, ec.KeySize == 384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256).CreateSigningRequest(),
        RSA rsa => new CertificateRequest(new X500DistinguishedName(subject), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest(),
        _ => throw new InvalidOperationException("unsupported key"),
    };

    private static byte[] SelfSigned(string subject, AsymmetricAlgorithm key, DateTimeOffset from, DateTimeOffset until, JsonObject policy)
    {
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(new X500DistinguishedName(subject), ec, HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(new X500DistinguishedName(subject), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new InvalidOperationException("unsupported key"),
        };
        // What the service puts in a self-signed certificate by default (policy in the recorded exchange): CA false.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        var usages = (policy["x509_props"]?["key_usage"] as JsonArray)?.Select(u => u!.GetValue<string>()).ToList() ?? ["digitalSignature", "keyEncipherment"];
        var flags = X509KeyUsageFlags.None;
        foreach (var usage in usages)
        {
            flags |= usage switch
            {
                "digitalSignature" => X509KeyUsageFlags.DigitalSignature,
                "keyEncipherment" => X509KeyUsageFlags.KeyEncipherment,
                "keyCertSign" => X509KeyUsageFlags.KeyCertSign,
                "cRLSign" => X509KeyUsageFlags.CrlSign,
                "nonRepudiation" => X509KeyUsageFlags.NonRepudiation,
                "dataEncipherment" => X509KeyUsageFlags.DataEncipherment,
                "keyAgreement" => X509KeyUsageFlags.KeyAgreement,
                _ => X509KeyUsageFlags.None,
            };
        }

        request.CertificateExtensions.Add(new X509KeyUsageExtension(flags, true));
        using var certificate = request.CreateSelfSigned(from.AddMinutes(-5), until);
        return certificate.RawData;
    }

    private static bool SamePublicKey(X509Certificate2 certificate, AsymmetricAlgorithm key) =>
        certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key switch
        {
            ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
            RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
            _ => [],
        });

    private static X509Certificate2 CopyWithKey(X509Certificate2 certificate, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => certificate.CopyWithPrivateKey(ec),
        RSA rsa => certificate.CopyWithPrivateKey(rsa),
        _ => throw new InvalidOperationException("unsupported key"),
    };

    private JsonObject Normalize(string name, JsonObject policy, KeyProperties props)
    {
        var now = SimulatedKeyVault.UnixSeconds(time.GetUtcNow());
        var keyProps = new JsonObject { ["exportable"] = props.Exportable, ["kty"] = props.Kty, ["reuse_key"] = props.ReuseKey };
        if (props.Curve is not null)
        {
            keyProps["crv"] = props.Curve;
        }
        else
        {
            keyProps["key_size"] = props.KeySize;
        }

        return new JsonObject
        {
            ["id"] = $"{vault.Base}/certificates/{name}/policy",
            ["key_props"] = keyProps,
            ["secret_props"] = new JsonObject { ["contentType"] = policy["secret_props"]?["contentType"]?.GetValue<string>() ?? "application/x-pkcs12" },
            ["x509_props"] = policy["x509_props"]?.DeepClone(),
            ["lifetime_actions"] = policy["lifetime_actions"]?.DeepClone() ?? new JsonArray(),
            ["issuer"] = new JsonObject { ["name"] = policy["issuer"]?["name"]?.GetValue<string>() ?? "Unknown" },
            ["attributes"] = new JsonObject { ["enabled"] = true, ["created"] = long.Parse(now, CultureInfo.InvariantCulture), ["updated"] = long.Parse(now, CultureInfo.InvariantCulture) },
        };
    }

    private JsonObject OperationJson(string name, SimulatedOperation op)
    {
        var json = new JsonObject
        {
            ["id"] = $"{vault.Base}/certificates/{name}/pending",
            ["issuer"] = new JsonObject { ["name"] = op.IssuerName },
            ["csr"] = Convert.ToBase64String(op.Csr),
            ["cancellation_requested"] = false,
            ["status"] = op.Status,
            ["status_details"] = op.Status == "inProgress"
                ? "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later."
                : null,
            ["request_id"] = op.RequestId,
        };
        if (op.Target is not null)
        {
            json["target"] = op.Target;
        }

        return json;
    }

    private JsonObject BundleJson(SimulatedCertificateVersion v, JsonObject? policy)
    {
        var json = new JsonObject
        {
            ["id"] = $"{vault.Base}/certificates/{v.Name}/{v.Version}",
            ["kid"] = $"{vault.Base}/keys/{v.Name}/{v.Version}",
            ["sid"] = $"{vault.Base}/secrets/{v.Name}/{v.Version}",
            ["x5t"] = X5t(v.Der),
            ["cer"] = Convert.ToBase64String(v.Der),
            ["attributes"] = Attributes(v),
            ["tags"] = TagsJson(v.Tags),
        };
        if (policy is not null)
        {
            json["policy"] = policy.DeepClone();
        }

        return json;
    }

    private static JsonObject Attributes(SimulatedCertificateVersion v) => new()
    {
        ["enabled"] = v.Enabled,
        ["nbf"] = v.NotBefore.ToUnixTimeSeconds(),
        ["exp"] = v.Expires.ToUnixTimeSeconds(),
        ["created"] = v.Created.ToUnixTimeSeconds(),
        ["updated"] = v.Updated.ToUnixTimeSeconds(),
        ["recoveryLevel"] = "Recoverable+Purgeable",
        ["recoverableDays"] = 90,
    };

    private static JsonObject Jwk(string kid, SimulatedCertificateVersion v)
    {
        var jwk = new JsonObject { ["kid"] = kid, ["kty"] = v.KeyProperties.Kty, ["key_ops"] = new JsonArray(v.KeyProperties.KeyOps.Select(o => (JsonNode)o).ToArray()) };
        switch (v.Key)
        {
            case ECDsa ec:
                var p = ec.ExportParameters(false);
                jwk["crv"] = v.KeyProperties.Curve;
                jwk["x"] = Base64Url.EncodeToString(p.Q.X);
                jwk["y"] = Base64Url.EncodeToString(p.Q.Y);
                break;
            case RSA rsa:
                var r = rsa.ExportParameters(false);
                jwk["n"] = Base64Url.EncodeToString(r.Modulus);
                jwk["e"] = Base64Url.EncodeToString(r.Exponent);
                break;
        }

        return jwk;
    }

    // x5t is defined as the SHA-1 thumbprint (RFC 7517 4.8); it names a certificate, it protects nothing.
#pragma warning disable CA5350
    private static string X5t(byte[] der) => Base64Url.EncodeToString(SHA1.HashData(der));
#pragma warning restore CA5350

    private static JsonObject TagsJson(Dictionary<string, string> tags) => new(tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value)));

    private static Dictionary<string, string> ReadTags(JsonNode? node) =>
        node is JsonObject o ? o.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? string.Empty) : [];

    private static JsonObject Parse(string body) =>
        JsonNode.Parse(string.IsNullOrWhiteSpace(body) ? "{}" : body) as JsonObject ?? throw new BadRequest("BadParameter", "The request body must be a JSON object.");

    private static Reply Error(int status, string code, string message, string? inner = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        if (inner is not null)
        {
            error["innererror"] = new JsonObject { ["code"] = inner };
        }

        return new Reply(status, new JsonObject { ["error"] = error });
    }

    private sealed record Reply(int Status, JsonObject? Body);

    private sealed class BadRequest(string code, string message, int status = 400) : Exception(message)
    {
        public string Code { get; } = code;
        public int Status { get; } = status;
    }
}

using System.Text;
using System.Text.Json;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>
/// The SDS secrets in an Envoy admin /config_dump (envoy.admin.v3.SecretsConfigDump), as `istioctl proxy-config
/// secret` reads them: dynamic_active_secrets "ROOTCA" → validation_context.trusted_ca.inline_bytes is what Envoy
/// validates peers with; "default" → tls_certificate.certificate_chain.inline_bytes is the leaf it presents (istio/istio
/// 86c9f01, istioctl/pkg/util/configdump/secret.go GetSecretConfigDump reads this dump). Envoy writes proto JSON with
/// snake_case names; camelCase (what istioctl -ojson prints) is accepted too.
/// </summary>
public sealed record EnvoySecretsDump(string? TrustedCaPem, string? CertificateChainPem)
{
    public const string RootCaSecret = "ROOTCA";
    public const string WorkloadSecret = "default";

    public static EnvoySecretsDump Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        string? trusted = null, chain = null;
        foreach (var config in Array(document.RootElement, "configs"))
        {
            foreach (var active in Array(config, "dynamic_active_secrets", "dynamicActiveSecrets"))
            {
                var name = Str(active, "name");
                if (!Prop(active, out var secret, "secret"))
                    continue;
                if (name == RootCaSecret && Prop(secret, out var vc, "validation_context", "validationContext") && Prop(vc, out var ca, "trusted_ca", "trustedCa"))
                    trusted = Inline(ca);
                if (name == WorkloadSecret && Prop(secret, out var tls, "tls_certificate", "tlsCertificate") && Prop(tls, out var cc, "certificate_chain", "certificateChain"))
                    chain = Inline(cc);
            }
        }

        return new EnvoySecretsDump(trusted, chain);
    }

    private static string? Inline(JsonElement source) =>
        Str(source, "inline_bytes", "inlineBytes") is { } b64 ? Encoding.UTF8.GetString(Convert.FromBase64String(b64))
        : Str(source, "inline_string", "inlineString");

    private static IEnumerable<JsonElement> Array(JsonElement element, params string[] names) =>
        Prop(element, out var value, names) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [];

    private static string? Str(JsonElement element, params string[] names) =>
        Prop(element, out var value, names) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool Prop(JsonElement element, out JsonElement value, params string[] names)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
            return false;
        foreach (var name in names)
        {
            if (element.TryGetProperty(name, out value))
                return true;
        }

        return false;
    }
}

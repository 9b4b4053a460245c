using System.Text;
using System.Text.Json.Nodes;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// The body of a simulated Envoy's GET /config_dump?mask=dynamic_active_secrets,dynamic_warming_secrets, shaped as
/// Envoy's admin writes it (envoy/admin/v3/config_dump.proto ConfigDump.configs: Any[]; config_dump_shared.proto
/// SecretsConfigDump.dynamic_active_secrets: DynamicSecret{name, version_info, last_updated, secret: Any}; the secret
/// is envoy.extensions.transport_sockets.tls.v3.Secret whose validation_context.trusted_ca is a DataSource with
/// inline_bytes, which proto JSON writes as base64). istio-agent names the root secret ROOTCA (istio/istio 86c9f01,
/// pkg/security/security.go RootCertReqResourceName); istioctl finds the section by its @type and decodes
/// inline_bytes (istioctl/pkg/util/configdump/secret.go GetRootCAFromSecretConfigDump). The workload "default" secret is
/// left out: the simulator mints no workload leaves for pods.
/// </summary>
public static class EnvoyAdminDump
{
    public const string SecretsDumpType = "type.googleapis.com/envoy.admin.v3.SecretsConfigDump";
    public const string SecretType = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

    public static string Secrets(string rootCaPem, string versionInfo, DateTimeOffset lastUpdated) => new JsonObject
    {
        ["configs"] = new JsonArray(new JsonObject
        {
            ["@type"] = SecretsDumpType,
            ["dynamic_active_secrets"] = new JsonArray(new JsonObject
            {
                ["name"] = "ROOTCA",
                ["version_info"] = versionInfo,
                ["last_updated"] = lastUpdated.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["secret"] = new JsonObject
                {
                    ["@type"] = SecretType,
                    ["name"] = "ROOTCA",
                    ["validation_context"] = new JsonObject
                    {
                        ["trusted_ca"] = new JsonObject { ["inline_bytes"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(rootCaPem)) },
                    },
                },
            }),
        }),
    }.ToJsonString();
}

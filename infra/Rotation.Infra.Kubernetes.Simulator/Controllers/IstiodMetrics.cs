using System.Globalization;
using Rotation.Core.Pki;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// What a simulated istiod replica shows on its monitoring port 15014 at /metrics about the CA it loaded: the two
/// gauges RecordCertsExpiry sets after every successful cacerts load (istio/istio 86c9f01,
/// security/pkg/server/ca/monitoring.go and server.go; called from pilot/pkg/bootstrap/istio_ca.go handleEvent):
/// citadel_server_root_cert_expiry_timestamp is the NotAfter of the FIRST certificate of root-cert.pem and
/// citadel_server_cert_chain_expiry_timestamp the NotAfter of the first certificate of cert-chain.pem
/// (security/pkg/pki/util/keycertbundle.go ExtractRootCertExpiryTimestamp / ExtractCACertExpiryTimestamp), in unix
/// seconds, written as Go's Prometheus text exposition does (%g floats).
/// </summary>
public static class IstiodMetrics
{
    public const int MonitoringPort = 15014;
    public const string RootExpiry = "citadel_server_root_cert_expiry_timestamp";
    public const string ChainExpiry = "citadel_server_cert_chain_expiry_timestamp";

    public static string Text(string? rootCertPem, string? certChainPem)
    {
        var lines = new List<string>();
        if (First(rootCertPem) is { } root)
            Gauge(lines, RootExpiry, "The unix timestamp, in seconds, when the root cert will expire.", root.NotAfter);
        if (First(certChainPem) is { } chain)
            Gauge(lines, ChainExpiry, "The unix timestamp, in seconds, when Istio generated cert chain will expire.", chain.NotAfter);
        lines.Add("# HELP pilot_xds_pushes Pilot build and send errors for lds, rds, cds and eds.");
        lines.Add("# TYPE pilot_xds_pushes counter");
        lines.Add("pilot_xds_pushes{type=\"cds\"} 1");
        return string.Join('\n', lines) + "\n";
    }

    private static void Gauge(List<string> lines, string name, string help, DateTimeOffset at)
    {
        lines.Add($"# HELP {name} {help}");
        lines.Add($"# TYPE {name} gauge");
        lines.Add($"{name} {((double)at.ToUnixTimeSeconds()).ToString("0.#########e+00", CultureInfo.InvariantCulture)}");
    }

    private static Certificate? First(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem))
            return null;
        try
        {
            return Pem.ReadCertificates(pem) is { Count: > 0 } certificates ? certificates[0] : null;
        }
        catch (PkiException)
        {
            return null;
        }
    }
}

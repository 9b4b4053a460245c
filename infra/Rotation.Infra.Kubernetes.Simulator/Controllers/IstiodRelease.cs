using System.Globalization;
using System.Text.RegularExpressions;
using Rotation.Core.Pki;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// The behaviour of the istiod release a simulated cluster runs, chosen by the image tag of the istiod Deployment
/// (docker.io/istio/pilot:1.22.0, …:1.26.2, …:1.30.0). Each rule names the istio/istio tag and file it was read at.
/// </summary>
public sealed partial record IstiodRelease(int Minor, int Patch, string PreRelease)
{
    public static readonly IstiodRelease Default = new(26, 2, "");

    [GeneratedRegex(@":1\.(\d+)(?:\.(\d+))?(?:-((?:alpha|beta|rc)\.\d+))?")]
    private static partial Regex Tag();

    public static IstiodRelease FromImage(string? image)
    {
        var m = image is null ? null : Tag().Match(image);
        return m is { Success: true }
            ? new IstiodRelease(
                int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
                m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 0,
                m.Groups[3].Success ? m.Groups[3].Value : "")
            : Default;
    }

    /// <summary>pilot/pkg/serviceregistry/kube/controller/namespacecontroller.go: kube-system gets the root ConfigMap from 1.21 on (for ztunnel).</summary>
    public bool PublishesToKubeSystem => Minor >= 21;

    /// <summary>1.27.0 (7359d8be) onwards: PILOT_ENABLE_CA_CRL (default true) and ca-crl.pem support (c579f294).</summary>
    public bool ReadsCrl => Minor >= 27 && !(Minor == 27 && Patch == 0 && PreRelease.StartsWith("alpha", StringComparison.Ordinal));

    /// <summary>
    /// handleEvent in pilot/pkg/bootstrap/istio_ca.go: null when the new root-cert.pem is accepted, else istiod's log line.
    /// 1.19.0 (3b3ca8ec): any byte change refused. 1.20.0 (6869a6c2) to 1.29 (1.22.0 aaf597fb, 1.26.0 c2e9871f):
    /// multi-root and bytes.Contains either way. 1.27.0-beta.0 (3e8dafb8) and -rc.0 (9af4fc42): equal bytes (and CRL)
    /// skipped. 1.30.0-beta.0 (5d0970e9) on (1.30.0 badd809e): pemBundleHasSubsetRelation on DER certificate sets.
    /// </summary>
    public string? RootCertRefusal(string held, string next, bool multiRoot, bool crlChanged)
    {
        if (held == next)
            return Minor == 27 && Patch == 0 && PreRelease is "beta.0" or "rc.0" && !crlChanged
                ? "No changes detected in root cert or CRL file data, skipping update"
                : null;
        if (Minor < 20)
            return "Updating new ROOT-CA not supported";
        if (!multiRoot)
            return "Multi root is disabled, updating new ROOT-CA not supported";
        var related = Minor > 30 || (Minor == 30 && !PreRelease.StartsWith("alpha", StringComparison.Ordinal))
            ? SubsetRelation(held, next)
            : held.Contains(next, StringComparison.Ordinal) || next.Contains(held, StringComparison.Ordinal);
        return related ? null : "Updating new ROOT-CA not supported";
    }

    public override string ToString() => PreRelease.Length == 0 ? $"1.{Minor}.{Patch}" : $"1.{Minor}.{Patch}-{PreRelease}";

    private static bool SubsetRelation(string a, string b)
    {
        try
        {
            var setA = Pem.ReadCertificates(a).Select(c => c.Sha256).ToHashSet(StringComparer.Ordinal);
            var setB = Pem.ReadCertificates(b).Select(c => c.Sha256).ToHashSet(StringComparer.Ordinal);
            return setA.Count > 0 && setB.Count > 0 && (setA.IsSupersetOf(setB) || setB.IsSupersetOf(setA));
        }
        catch (PkiException)
        {
            return false;
        }
    }
}

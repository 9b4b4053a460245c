using k8s.Models;

namespace Rotation.Infra.Kubernetes.Targets.Linkerd;

/// <summary>
/// What the identity controller was started with, from the args of the linkerd-identity Deployment's "identity"
/// container (linkerd/linkerd2 b24cd405, controller/cmd/identity/main.go): -identity-scheme picks the issuer
/// Secret's keys (linkerd.io/tls → crt.pem/key.pem, otherwise tls.crt/tls.key; pkg/k8s/labels.go), and
/// -identity-issuance-lifetime how long proxies' leaves live (identity.DefaultIssuanceLifetime, 24h, when unset).
/// </summary>
public sealed record LinkerdIdentityConfig(string? Scheme, TimeSpan IssuanceLifetime, bool LifetimeFromArgs)
{
    public const string LinkerdScheme = "linkerd.io/tls";
    public const string KubernetesScheme = "kubernetes.io/tls";
    public static readonly TimeSpan DefaultIssuanceLifetime = TimeSpan.FromHours(24);

    public bool IsLinkerdScheme => Scheme == LinkerdScheme;
    public string CertificateKey => IsLinkerdScheme ? "crt.pem" : "tls.crt";
    public string KeyKey => IsLinkerdScheme ? "key.pem" : "tls.key";

    /// <summary>The kubernetes.io/tls scheme also carries the anchors as ca.crt (IdentityIssuerTrustAnchorsNameExternal).</summary>
    public string? TrustAnchorsKey => IsLinkerdScheme ? null : "ca.crt";

    public static LinkerdIdentityConfig From(V1Deployment? identity)
    {
        var args = identity?.Spec?.Template?.Spec?.Containers?.FirstOrDefault(c => c.Name == "identity")?.Args ?? [];
        var scheme = Flag(args, "identity-scheme");
        var lifetimeText = Flag(args, "identity-issuance-lifetime");
        var lifetime = lifetimeText is null ? null : GoDurationText.TryParse(lifetimeText);
        return new LinkerdIdentityConfig(scheme, lifetime ?? DefaultIssuanceLifetime, lifetime is not null);
    }

    /// <summary>Go's flag package accepts -name=value, --name=value, and -name value.</summary>
    private static string? Flag(IList<string> args, string name)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i].TrimStart('-');
            if (arg.StartsWith(name + "=", StringComparison.Ordinal))
                return arg[(name.Length + 1)..];
            if (arg == name && i + 1 < args.Count)
                return args[i + 1];
        }

        return null;
    }
}

/// <summary>Go's time.ParseDuration for the units Linkerd's values use (h, m, s, ms), e.g. "24h0m0s".</summary>
internal static class GoDurationText
{
    public static TimeSpan? TryParse(string text)
    {
        var total = TimeSpan.Zero;
        var rest = text.Trim();
        if (rest.Length == 0)
            return null;
        while (rest.Length > 0)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsDigit(rest[digits]) || rest[digits] == '.'))
                digits++;
            if (digits == 0 || !double.TryParse(rest[..digits], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
                return null;
            rest = rest[digits..];
            var unit = rest.StartsWith("ms", StringComparison.Ordinal) ? "ms" : rest.Length > 0 ? rest[..1] : "";
            rest = rest[unit.Length..];
            total += unit switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                "ms" => TimeSpan.FromMilliseconds(value),
                _ => TimeSpan.MinValue,
            };
            if (unit is not ("h" or "m" or "s" or "ms"))
                return null;
        }

        return total;
    }
}

using Rotation.Core.Domain;
using Rotation.Core.Expiry;

namespace Rotation.Core.Authorities;

/// <summary>
/// What `init` says about the validities it was given, before anything is written: refusals where the domain would
/// be certainly wrong from its first second, warnings where it is merely unusual.
/// </summary>
public static class InitChecks
{
    /// <summary>No key algorithm or operator process stays trustworthy for a century; such a root is a typo or a mistake.</summary>
    public static readonly TimeSpan MaxRootValidity = TimeSpan.FromDays(100 * 365);

    /// <summary>Beyond this a root outlives every plan to rotate it; allowed, but said.</summary>
    public static readonly TimeSpan LongRootValidity = TimeSpan.FromDays(30 * 365);

    /// <summary>A CA that expires before anyone can use it is certainly a typo (1m for 1M, 10s for 10y).</summary>
    public static readonly TimeSpan MinValidity = TimeSpan.FromHours(1);

    public static void RefuseCertainlyWrong(TimeSpan rootValidity, TimeSpan intermediateValidity)
    {
        if (rootValidity > MaxRootValidity)
        {
            throw new DomainException($"a root valid for {Days(rootValidity)} days is longer than 100 years: no key stays safe that long and no one will remember to rotate it; use --root-validity 10y to 20y");
        }

        foreach (var (layer, validity, option) in Layers(rootValidity, intermediateValidity))
        {
            if (validity < MinValidity)
            {
                throw new DomainException($"the {Name(layer)} would be expired almost at birth: {validity} is less than an hour, too short to issue anything from; use a longer {option}");
            }
        }
    }

    /// <summary>One line per unusual choice; empty when all is ordinary.</summary>
    public static IReadOnlyList<string> Warnings(TimeSpan rootValidity, TimeSpan intermediateValidity, ExpiryPolicyOptions? expiry = null)
    {
        expiry ??= new ExpiryPolicyOptions();
        var warnings = new List<string>();
        if (rootValidity > LongRootValidity)
        {
            warnings.Add($"the root is valid for {Days(rootValidity)} days (over 30 years): it will outlive its key algorithm's safe life and every plan to rotate it; 10y to 20y is usual");
        }

        foreach (var (layer, validity, option) in Layers(rootValidity, intermediateValidity))
        {
            var thresholds = expiry.For(layer);
            if (validity <= thresholds.Critical)
            {
                warnings.Add($"the {Name(layer)} is critical at birth: {Days(validity)} days of validity is inside the critical threshold of {Days(thresholds.Critical)} days, so scan will raise an alarm from its first second; use a longer {option} unless this is a rehearsal");
            }
            else if (validity <= thresholds.Warning)
            {
                warnings.Add($"the {Name(layer)} is near expiry at birth: {Days(validity)} days of validity is inside the warning threshold of {Days(thresholds.Warning)} days, so scan will warn from the start; consider a longer {option}");
            }
        }

        return warnings;
    }

    private static IEnumerable<(CertificateLayer Layer, TimeSpan Validity, string Option)> Layers(TimeSpan rootValidity, TimeSpan intermediateValidity)
    {
        yield return (ExpiryPolicy.LayerOf(CaRole.Root), rootValidity, "--root-validity");
        yield return (ExpiryPolicy.LayerOf(CaRole.Intermediate), intermediateValidity, "--intermediate-validity");
    }

    private static string Name(CertificateLayer layer) => layer switch
    {
        CertificateLayer.Root => "root",
        _ => "issuing intermediate",
    };

    private static string Days(TimeSpan span) => Math.Round(span.TotalDays, 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

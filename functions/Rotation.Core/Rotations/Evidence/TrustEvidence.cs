using Rotation.Core.Ports;

namespace Rotation.Core.Rotations.Evidence;

/// <summary>
/// The trust gate: every observed trust store holds every required root and none of the forbidden ones.
/// A target that could not answer holds the gate: absence of evidence is not evidence.
/// </summary>
public static class TrustEvidence
{
    private const int LocationsNamedPerTarget = 3;

    /// <summary>The reason of a satisfied trust gate.</summary>
    public const string Satisfied = "every trust store holds the expected roots";

    public static GateVerdict Evaluate(
        IReadOnlyList<TargetResult<TrustReport>> results,
        IReadOnlyCollection<string> requiredRoots,
        IReadOnlyCollection<string> forbiddenRoots,
        Func<string, string> describeRoot)
    {
        var perTarget = new SortedDictionary<string, TargetVerdict>(StringComparer.Ordinal);
        string? firstReason = null;

        foreach (var result in results)
        {
            var verdict = Judge(result, requiredRoots, forbiddenRoots, describeRoot);
            perTarget[result.Target] = verdict;
            if (!verdict.Done)
            {
                firstReason ??= $"{result.Target}: {verdict.Detail}";
            }
        }

        return new GateVerdict(firstReason is null, firstReason ?? Satisfied, perTarget);
    }

    /// <summary>One target's part of the gate.</summary>
    public static TargetVerdict Judge(
        TargetResult<TrustReport> result,
        IReadOnlyCollection<string> requiredRoots,
        IReadOnlyCollection<string> forbiddenRoots,
        Func<string, string> describeRoot)
    {
        if (result.Value is not { } report)
        {
            return TargetVerdict.NotYet($"unavailable: {result.Error}");
        }

        if (report.Stores.Count == 0 && report.CarriesNoTrust is { } why)
        {
            return TargetVerdict.Ok($"carries no trust store ({why})");
        }

        if (report.Stores.Count == 0)
        {
            return TargetVerdict.NotYet("no trust store observed yet");
        }

        var problems = new List<string>();
        foreach (var store in report.Stores)
        {
            var missing = requiredRoots.Where(r => !store.Sha256Fingerprints.Contains(r)).Select(describeRoot).ToList();
            var unwanted = forbiddenRoots.Where(store.Sha256Fingerprints.Contains).Select(describeRoot).ToList();
            if (missing.Count > 0)
            {
                problems.Add($"{store.Location} lacks {string.Join(", ", missing)}");
            }

            if (unwanted.Count > 0)
            {
                problems.Add($"{store.Location} still holds {string.Join(", ", unwanted)}");
            }
        }

        if (problems.Count == 0)
        {
            return TargetVerdict.Ok($"{report.Stores.Count} trust store(s) as expected");
        }

        var named = string.Join("; ", problems.Take(LocationsNamedPerTarget));
        return TargetVerdict.NotYet(problems.Count > LocationsNamedPerTarget
            ? $"{problems.Count} of {report.Stores.Count} trust stores not as expected: {named}; …"
            : $"{problems.Count} of {report.Stores.Count} trust stores not as expected: {named}");
    }
}

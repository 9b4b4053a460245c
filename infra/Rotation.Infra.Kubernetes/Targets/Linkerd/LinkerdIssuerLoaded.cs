using k8s.Models;

namespace Rotation.Infra.Kubernetes.Targets.Linkerd;

/// <summary>
/// Whether every linkerd-identity replica loaded the issuer Rotation last wrote, read from the events identity records
/// (linkerd/linkerd2 b24cd405, pkg/identity/service.go Run: on each change of the issuer directory it re-runs
/// Initialize and records "IssuerUpdated" / "Updated identity issuer", or "IssuerUpdateSkipped" / "Skipping issuer
/// update as certs could not be read from disk: …" and keeps the previous issuer; controller/cmd/identity/main.go
/// recordEventFunc: core/v1 Events whose involvedObject is the Deployment linkerd-identity, source component
/// linkerd-identity, no host). The events do not name the pod, but each replica's client-go recorder creates its own
/// Event object and folds repeats of the same reason and message into it (count, lastTimestamp): so as many
/// IssuerUpdated objects seen since the write as replicas that were running before it prove every replica reloaded.
/// A replica that started after the write read the new issuer at start (main.go: a bad one is fatal, so it runs only
/// if it verified). Limitation: the cluster's and Rotation's clocks are compared at one-second resolution.
/// </summary>
internal static class LinkerdIssuerLoaded
{
    public const string IssuerWrittenAtAnnotation = "rotation.dev/issuer-written-at";
    public const string IdentityDeployment = "linkerd-identity";
    public const string IdentityContainer = "identity";
    public const string UpdatedReason = "IssuerUpdated";
    public const string SkippedReason = "IssuerUpdateSkipped";

    /// <summary>The verdict: null Holds when every replica is proven to issue from the written issuer, since <c>Since</c>.</summary>
    public sealed record Verdict(string? Holds, DateTimeOffset? Since, string Evidence);

    public static DateTimeOffset? WrittenAt(V1Secret? issuer) =>
        issuer?.Metadata?.Annotations?.TryGetValue(IssuerWrittenAtAnnotation, out var text) == true
        && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : null;

    public static Verdict Judge(DateTimeOffset writtenAt, V1Deployment? identity, IReadOnlyList<V1Pod> pods, IReadOnlyList<Corev1Event> events)
    {
        if (identity is null)
            return new("deployment linkerd-identity not found: nothing proves identity loaded the issuer", null, "");
        // Events carry whole seconds: an event in the second of the write counts as after it.
        var from = new DateTimeOffset(writtenAt.UtcDateTime.Ticks - (writtenAt.UtcDateTime.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        // Ready, not just Running: identity serves (and turns ready) only after Initialize loaded the issuer at start.
        var running = pods.Where(p => p.Status?.Phase == "Running" && p.Metadata?.DeletionTimestamp is null && Container(p)?.Ready == true).ToList();
        var crashing = pods.Where(p => Container(p)?.State?.Waiting is { } waiting && waiting.Reason is "CrashLoopBackOff" or "Error").Select(p => p.Name()).ToList();
        if (crashing.Count > 0)
            return new($"identity pod(s) {string.Join(", ", crashing)} crash-loop: identity exits at start on an issuer its trust anchors do not verify (controller/cmd/identity/main.go); read `kubectl logs -n {identity.Namespace()} {crashing[0]} -c identity`", null, "");
        if (running.Count == 0)
            return new($"no linkerd-identity pod is running and ready ({pods.Count} pod(s)): nothing proves the issuer is loaded yet", null, "");

        var startedAfter = running.Where(p => Start(p) is { } start && start >= from).ToList();
        var before = running.Count - startedAfter.Count;
        var mine = events.Where(e => e.InvolvedObject?.Kind == "Deployment" && e.InvolvedObject.Name == IdentityDeployment && Last(e) is { } at && at >= from).ToList();
        var updated = mine.Where(e => e.Reason == UpdatedReason).ToList();
        // A skip recorded before every running replica started came from a process that is gone (a restart re-reads
        // the issuer at start, and a bad one is fatal): only a skip a running replica could have made counts.
        var skipped = mine.Where(e => e.Reason == SkippedReason && running.Any(p => Start(p) is { } start && start < Last(e)))
            .OrderBy(e => Last(e)).LastOrDefault();
        var lastUpdate = updated.Select(Last).Max();
        var times = updated.Select(Last).Concat(startedAfter.Select(Start)).Where(t => t is not null).Select(t => t!.Value).ToList();
        var since = times.Count == 0 ? (DateTimeOffset?)null : times.Max();
        var evidence = $"{updated.Count} IssuerUpdated event(s) since the issuer write at {writtenAt:u} for {before} replica(s) running before it, {startedAfter.Count} started after it";

        // A skip newer than every update: some replica kept the old issuer (identity verifies against the anchors it read at start).
        if (skipped is not null && (lastUpdate is null || Last(skipped) > lastUpdate))
        {
            return new($"linkerd-identity reported IssuerUpdateSkipped at {Last(skipped):u}: \"{skipped.Message}\"; it keeps signing with the previous issuer. If the anchors it read at start lack the new root, restart it (kubectl rollout restart -n {identity.Namespace()} deployment/{IdentityDeployment}) once the trust roots ConfigMap holds the new root", null, evidence);
        }

        if (updated.Count < before)
        {
            var skip = skipped is null ? "" : $"; the last IssuerUpdateSkipped said \"{skipped.Message}\"";
            return new($"{updated.Count} of {before} linkerd-identity replica(s) running since before the issuer write at {writtenAt:u} reported IssuerUpdated{skip}: waiting for the rest (the kubelet updates the mounted Secret within its sync period). If none comes after that, the Secret may have changed and changed back before the kubelet synced it (an abort right after the switch), which leaves nothing on disk for identity to notice: restart it (kubectl rollout restart -n {identity.Namespace()} deployment/{IdentityDeployment}); replicas started after the write count", null, evidence);
        }

        return new(null, since, evidence);
    }

    private static V1ContainerStatus? Container(V1Pod pod) =>
        pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == IdentityContainer);

    private static DateTimeOffset? Start(V1Pod pod)
    {
        if (Container(pod)?.State?.Running?.StartedAt is { } started)
            return Utc(started);
        return pod.Status?.StartTime is { } podStart ? Utc(podStart) : null;
    }

    /// <summary>When the event last happened: lastTimestamp (core/v1 recorder), else series or eventTime (events.k8s.io), else firstTimestamp.</summary>
    private static DateTimeOffset? Last(Corev1Event e) =>
        e.LastTimestamp is { } last ? Utc(last)
        : e.Series?.LastObservedTime is { } series ? Utc(series)
        : e.EventTime is { } time ? Utc(time)
        : e.FirstTimestamp is { } first ? Utc(first)
        : null;

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}

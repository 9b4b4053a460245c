namespace Rotation.Drill.Drills;

/// <summary>
/// What a drill ran on, by kind only (never an address, key or connection string): vault "local" or "keyvault", store
/// "sqlite" or "table", events "none", "eventgrid" or "webhook". <see cref="TrustDomain"/> and <see cref="Table"/> name
/// what the run left behind in a real vault or account (a fresh domain, a fresh table), so it can be found and removed.
/// </summary>
public sealed record DrillAdaptersReport(string Vault, string Store, string Events, string TrustDomain, string? Table = null);

/// <summary>
/// The outbox drained while the drill ran (with --events): events delivered and parked, publish requests made (failed
/// ones included), the drill domain's rows still pending at the end, and the time spent inside publishing runs.
/// </summary>
public sealed record DrillEventsReport(long Published, long Parked, long Attempts, long FailedAttempts, long Pending, long PublishMs)
{
    /// <summary>Why publishing stopped for good (the sink refused the address or credentials, or the store failed under it); null when it did not.</summary>
    public string? Error { get; init; }
}

using Microsoft.DurableTask;

namespace Rotation.Functions.Orchestrations;

/// <summary>
/// The retry policies of the orchestration, one per kind of call. Each retries transient failures only
/// (<see cref="TransientFailures"/>); anything else fails at once, and the orchestration holds the phase with its reason.
/// </summary>
public static class RetryPolicies
{
    /// <summary>One cluster's part of a phase: every target write is idempotent and reads write nothing, so a retry is safe, and it retries that cluster alone.</summary>
    public static readonly RetryPolicy ClusterCall = new(
        maxNumberOfAttempts: 4,
        firstRetryInterval: TimeSpan.FromSeconds(1),
        backoffCoefficient: 4,
        maxRetryInterval: TimeSpan.FromMinutes(2))
    {
        HandleFailure = TransientFailures.IsTransient,
    };

    /// <summary>Store reads and the recording of signals: cheap, so retried a little longer.</summary>
    public static readonly RetryPolicy StoreCall = new(
        maxNumberOfAttempts: 6,
        firstRetryInterval: TimeSpan.FromSeconds(1),
        backoffCoefficient: 2,
        maxRetryInterval: TimeSpan.FromSeconds(30))
    {
        HandleFailure = TransientFailures.IsTransient,
    };

    public static readonly TaskOptions ClusterCallOptions = TaskOptions.FromRetryPolicy(ClusterCall);
    public static readonly TaskOptions StoreCallOptions = TaskOptions.FromRetryPolicy(StoreCall);
}

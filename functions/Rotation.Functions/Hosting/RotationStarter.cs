using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Functions.Orchestrations;

namespace Rotation.Functions.Hosting;

/// <summary>
/// Starts rotations for the HTTP API and the expiry scan: the store refuses a second active rotation per domain,
/// and the orchestration instance id is the rotation id, scheduled with dedupe statuses so a second start of the
/// same rotation is refused by the backend too (never silently accepted).
/// </summary>
public sealed class RotationStarter(RotationService rotations, IOptions<RotationFunctionsOptions> options)
{
    /// <summary>Statuses under which an orchestration for the same rotation id may not be scheduled again.</summary>
    public static readonly OrchestrationRuntimeStatus[] DedupeStatuses =
    [
        OrchestrationRuntimeStatus.Pending,
        OrchestrationRuntimeStatus.Running,
        OrchestrationRuntimeStatus.Suspended,
        OrchestrationRuntimeStatus.Completed,
    ];

    public async Task<RotationRecord> StartAsync(DurableTaskClient client, string domain, RotationKind kind, RotationPolicy policy, string requestedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var record = await rotations.StartAsync(domain, kind, policy, requestedBy, cancellationToken);
        await StartOrchestrationAsync(client, record.Id, cancellationToken);
        return record;
    }

    /// <summary>Schedules the orchestration of an existing rotation. Throws OrchestrationAlreadyExistsException when one is live.</summary>
    public Task StartOrchestrationAsync(DurableTaskClient client, string rotationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var start = new StartOrchestrationOptions(rotationId).WithDedupeStatuses(DedupeStatuses);
        return client.ScheduleNewOrchestrationInstanceAsync(
            nameof(RotationOrchestrator),
            new RotationOrchestrationInput(rotationId, options.Value.RecheckInterval),
            start,
            cancellationToken);
    }

    /// <summary>
    /// Every active rotation gets an orchestration: one whose start was lost (the host died between the store commit
    /// and the schedule) or whose orchestration failed or was terminated is scheduled again. Returns the ids scheduled.
    /// </summary>
    public async Task<IReadOnlyList<string>> EnsureOrchestratedAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var scheduled = new List<string>();
        foreach (var rotation in (await rotations.ListAsync(null, cancellationToken)).Where(r => r.IsActive))
        {
            var instance = await client.GetInstanceAsync(rotation.Id, cancellationToken);
            if (instance is null || instance.RuntimeStatus is OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated)
            {
                await StartOrchestrationAsync(client, rotation.Id, cancellationToken);
                scheduled.Add(rotation.Id);
            }
        }

        return scheduled;
    }
}

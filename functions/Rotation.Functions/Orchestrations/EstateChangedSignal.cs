namespace Rotation.Functions.Orchestrations;

/// <summary>
/// External event <see cref="OrchestrationEvents.EstateChanged"/>: something a gate reads changed on
/// <paramref name="Clusters"/>. Only a hint to look again; the gate still decides on the evidence it reads.
/// </summary>
/// <param name="ObservedAt">When the relay raised it (after its debounce), so at or after the last change it folds in.
/// The orchestration ignores one observed before its last check started: that check already saw it.</param>
/// <param name="Clusters">The clusters whose watches saw a change, by name (for the custom status).</param>
public sealed record EstateChangedSignal(DateTimeOffset ObservedAt, IReadOnlyList<string> Clusters);

using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Functions.Orchestrations;

/// <summary>
/// One rotation, start to finish: the same <see cref="RotationDriver"/> the CLI runs, over a Durable workflow
/// context. The instance id is the rotation id. Each generation makes one decision (run a phase step, or wait for a
/// timer or a signal) and continues as new.
/// </summary>
public sealed partial class RotationOrchestrator : TaskOrchestrator<RotationOrchestrationInput, RotationOrchestrationOutcome?>
{
    public override async Task<RotationOrchestrationOutcome?> RunAsync(TaskOrchestrationContext context, RotationOrchestrationInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var logger = context.CreateReplaySafeLogger<RotationOrchestrator>();
        var workflow = new DurableWorkflowContext(context, input);
        try
        {
            var record = await RotationDriver.RunAsync(workflow, input.RotationId);
            context.SetCustomStatus(RotationProgress.From(workflow.LastSnapshot ?? RecordSnapshot.Of(record), input.Generation));
            LogFinished(logger, record.Id, record.Status, input.Generation);
            return new RotationOrchestrationOutcome(record.Id, record.Status, record.FailureReason);
        }
        catch (GenerationEnded ended)
        {
            if (ended.Progress is { } progress)
            {
                context.SetCustomStatus(progress);
                LogGeneration(logger, input.RotationId, input.Generation, progress.Phase, progress.Holding);
            }

            context.ContinueAsNew(workflow.NextInput());
            return null;
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Rotation generation ended. Rotation: {RotationId} Generation: {Generation} Phase: {Phase} Holding: {Holding}")]
    private static partial void LogGeneration(ILogger logger, string rotationId, int generation, Rotation.Core.Rotations.RotationPhase? phase, string? holding);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Rotation finished. Rotation: {RotationId} Status: {Status} Generations: {Generation}")]
    private static partial void LogFinished(ILogger logger, string rotationId, Rotation.Core.Rotations.RotationStatus status, int generation);
}

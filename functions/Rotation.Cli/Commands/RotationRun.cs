using Rotation.Cli.Output;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>Drives a rotation in this process until it finishes, waits for an approval, or parks; reports how it stopped.</summary>
internal static class RotationRun
{
    /// <param name="json">Progress goes to stderr and stdout gets the rotation as 'status ID --json' shows it.</param>
    public static async Task<int> DriveAsync(CliContext context, CliServices services, string rotationId, TimeSpan maxWait, bool json, CancellationToken cancellationToken)
    {
        var console = json ? Consoles.ForProgress(context) : Consoles.For(context);
        var progress = new RotationProgress(console);
        var inner = new InProcessWorkflowContext(services.StepRunner, context.Time, cancellationToken: cancellationToken)
        {
            OnRecord = progress.Observe,
            Changes = services.Targets as ITargetChangeSignals,
        };

        RotationRecord record;
        try
        {
            record = await RotationDriver.RunAsync(new PausingWorkflowContext(inner, maxWait) { OnWait = until => progress.Waiting(until, context.Time.GetUtcNow()) }, rotationId);
        }
        catch (UnsafeStepException refusal)
        {
            // The engine recorded the refusal and left the rotation at this phase; say how to go on.
            throw new UnsafeStepException($"{refusal.Message}; rotation {rotationId} stays at this phase: fix the estate, then 'rotation resume {rotationId}', or 'rotation abort {rotationId}'");
        }
        catch (RotationPausedException)
        {
            record = progress.Last ?? await services.Rotations.FindAsync(rotationId, cancellationToken)
                ?? throw new DomainException($"no rotation '{rotationId}': list rotations with 'rotation status'");
            console.MarkupLineInterpolated($"[yellow]parked[/]  {record.Id} at {record.CurrentPhase}: {record.Gate?.Reason ?? "waiting"}; next check {TimeText.Instant(record.Gate?.NextCheckAt ?? context.Time.GetUtcNow())}. Run 'rotation resume {record.Id}' then.");
            return Json(context, record, json, ExitCodes.Ok);
        }

        return Json(context, record, json, Report(context, console, record));
    }

    private static int Json(CliContext context, RotationRecord record, bool json, int exitCode)
    {
        if (json)
        {
            context.Output.WriteLine(RotationStatusJson.One(record, context.Time.GetUtcNow()));
        }

        return exitCode;
    }

    private static int Report(CliContext context, IAnsiConsole console, RotationRecord record)
    {
        switch (RotationDecider.Decide(record, context.Time.GetUtcNow()))
        {
            case RotationDecision.AwaitApproval approval:
                console.MarkupLineInterpolated($"[yellow]waiting[/] {record.Id}: {approval.Phase} needs an approval. Run 'rotation approve {record.Id} --phase {approval.Phase}' then 'rotation resume {record.Id}'.");
                return ExitCodes.Ok;
            case RotationDecision.Finished { Status: RotationStatus.Failed }:
                throw new DomainException($"rotation {record.Id} failed: {record.FailureReason}");
            case RotationDecision.Finished finished:
                console.MarkupLineInterpolated($"[green]{finished.Status.ToString().ToLowerInvariant()}[/] {record.Id} ({record.Kind.ToString().ToLowerInvariant()} rotation of {record.Domain}).");
                return ExitCodes.Ok;
            default:
                console.MarkupLineInterpolated($"[yellow]parked[/]  {record.Id} at {record.CurrentPhase}. Run 'rotation resume {record.Id}'.");
                return ExitCodes.Ok;
        }
    }
}

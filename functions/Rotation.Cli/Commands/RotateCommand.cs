using System.CommandLine;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Rotation.Core.Authorities;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>rotation rotate root|intermediate: start a rotation and drive it as far as it can go now.</summary>
internal static class RotateCommand
{
    public static Command Create(CliContext context, Option<string?> home) =>
        new("rotate", "Rotate a trust domain's root or intermediate CA, phase by phase")
        {
            Kind(context, home, RotationKind.Root, "root", "Rotate the root (and its intermediate): new trust everywhere first, old trust removed last"),
            Kind(context, home, RotationKind.Intermediate, "intermediate", "Rotate the issuing intermediate under the current root"),
        };

    private static Command Kind(CliContext context, Option<string?> home, RotationKind kind, string name, string description)
    {
        var domain = CliOptions.Domain();
        var approveEach = new Option<bool>("--approve-each-phase") { Description = "Stop before every phase until 'rotation approve' (default: only the point of no return)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the phases and targets; change nothing" };
        var wait = RotationOptions.Wait();
        var maxLeafTtl = RotationOptions.MaxLeafTtl();
        var leafGrace = RotationOptions.LeafGrace();
        var gateRetry = RotationOptions.GateRetry();
        var json = CliOptions.Json();
        var command = new Command(name, description) { domain, approveEach, dryRun, wait.Option, maxLeafTtl.Option, leafGrace.Option, gateRetry.Option, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var trustDomain = await DomainSelection.ResolveAsync(services.Store, parseResult.GetValue(domain), cancellationToken);
            var retry = gateRetry.ValueOf(parseResult);
            var policy = GateRecheck.WithRetry(
                new RotationPolicy
                {
                    MaxLeafTtl = maxLeafTtl.ValueOf(parseResult),
                    LeafGrace = leafGrace.ValueOf(parseResult),
                },
                retry);
            if (parseResult.GetValue(approveEach))
            {
                policy = policy.ApprovingEachPhase(kind);
            }

            if (parseResult.GetValue(dryRun))
            {
                var preview = await services.Rotations.PreviewAsync(trustDomain.Name, kind, policy, cancellationToken);
                if (parseResult.GetValue(json))
                {
                    CliJson.Write(context.Output, PreviewJson(preview));
                }
                else
                {
                    RenderPreview(Consoles.For(context), preview);
                }

                return ExitCodes.Ok;
            }

            var record = await services.Rotations.StartAsync(trustDomain.Name, kind, policy, context.User, cancellationToken);
            var asJson = parseResult.GetValue(json);
            (asJson ? Consoles.ForProgress(context) : Consoles.For(context)).MarkupLineInterpolated($"Started [bold]{record.Id}[/]: {name} rotation of {record.Domain}.");
            return await RotationRun.DriveAsync(context, services, record.Id, wait.ValueOf(parseResult), asJson, cancellationToken);
        });
        return command;
    }

    private static object PreviewJson(RotationPlanPreview preview) => new
    {
        dryRun = true,
        domain = preview.Domain,
        kind = preview.Kind,
        phases = preview.Phases.Select(p => new { phase = p.Phase.ToString(), writes = p.Writes, needsApproval = p.NeedsApproval }).ToList(),
        targets = preview.Targets,
    };

    private static void RenderPreview(IAnsiConsole console, RotationPlanPreview preview)
    {
        console.MarkupLineInterpolated($"Dry run: {preview.Kind.ToString().ToLowerInvariant()} rotation of [bold]{preview.Domain}[/] over {preview.Targets.Count} target(s); nothing was changed.");
        var phases = new Table().AddColumns("#", "Phase", "What it does", "Approval");
        for (var i = 0; i < preview.Phases.Count; i++)
        {
            var phase = preview.Phases[i];
            phases.AddRow((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), phase.Phase.ToString(), Markup.Escape(phase.Writes), phase.NeedsApproval ? "required" : string.Empty);
        }

        console.Write(phases);
        foreach (var target in preview.Targets)
        {
            console.MarkupLineInterpolated($"target {target}");
        }
    }
}

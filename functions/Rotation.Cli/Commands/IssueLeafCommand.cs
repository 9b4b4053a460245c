using System.CommandLine;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>rotation issue-leaf: a workload certificate from the active intermediate, for smoke tests and non-mesh workloads.</summary>
internal static class IssueLeafCommand
{
    public static Command Create(CliContext context, Option<string?> home)
    {
        var domain = CliOptions.Domain();
        var spiffeId = new Option<string>("--spiffe-id")
        {
            Description = "The workload's SPIFFE id, spiffe://<trust domain>/<path>",
            Required = true,
            HelpName = "ID",
        };
        var dns = new Option<string[]>("--dns")
        {
            Description = "A DNS name for the SAN; repeat for more",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        var ttl = CliOptions.Duration("--ttl", "Validity of the leaf", "24h");
        var output = CliOptions.RequiredPath("--out", "Directory for cert.pem, key.pem (0600), chain.pem and bundle.pem", "DIR");
        var backdate = CliOptions.Duration("--backdate", "How long before now the leaf starts to be valid, for peers whose clock runs behind", "5m");
        var json = CliOptions.Json();
        var command = new Command("issue-leaf", "Issue a workload leaf certificate from the active intermediate") { domain, spiffeId, dns, ttl.Option, output, backdate.Option, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var files = await services.Authorities.IssueLeafAsync(
                parseResult.GetValue(domain),
                parseResult.GetValue(spiffeId)!,
                parseResult.GetValue(dns) ?? [],
                ttl.ValueOf(parseResult),
                parseResult.GetValue(output)!,
                backdate.ValueOf(parseResult),
                cancellationToken);
            if (parseResult.GetValue(json))
            {
                CliJson.Write(context.Output, new { files.Cert, files.Key, files.Chain, files.Bundle });
                return ExitCodes.Ok;
            }

            Consoles.For(context).MarkupLineInterpolated($"Wrote {files.Cert}, {files.Key} (mode 0600), {files.Chain}, {files.Bundle}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

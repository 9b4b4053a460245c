using System.CommandLine;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Rotation.Core.Pki;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>rotation init: a new trust domain with a root and an issuing intermediate.</summary>
internal static class InitCommand
{
    public static Command Create(CliContext context, Option<string?> home)
    {
        var domain = CliOptions.Domain(required: true);
        var key = CliOptions.Key();
        var rootValidity = CliOptions.Duration("--root-validity", "Validity of the root CA", "10y");
        var intermediateValidity = CliOptions.Duration("--intermediate-validity", "Validity of the intermediate CA", "1y");
        var backdate = CliOptions.Duration("--backdate", "How long before now the CAs start to be valid, for peers whose clock runs behind", "5m");
        var json = CliOptions.Json();
        var command = new Command("init", "Create a trust domain: a root CA and an intermediate CA that issues")
        {
            domain, key, rootValidity.Option, intermediateValidity.Option, backdate.Option, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = CliServices.OpenOrCreate(context, parseResult.GetValue(home));
            var algorithm = parseResult.GetValue(key) ?? KeyAlgorithm.EcdsaP256;
            var inventory = await services.Authorities.InitAsync(
                parseResult.GetValue(domain)!,
                algorithm,
                rootValidity.ValueOf(parseResult),
                intermediateValidity.ValueOf(parseResult),
                backdate.ValueOf(parseResult),
                cancellationToken);

            var rows = await services.Authorities.InventoryAsync(inventory.Domain, cancellationToken: cancellationToken);
            var warnings = Rotation.Core.Authorities.InitChecks.Warnings(rootValidity.ValueOf(parseResult), intermediateValidity.ValueOf(parseResult)).ToList();
            if (parseResult.GetValue(json))
            {
                CliJson.Write(context.Output, new { domain = inventory.Domain, home = services.Home, keyAlgorithm = algorithm.ToName(), authorities = InventoryJson.Items(rows), warnings });
            }
            else
            {
                var console = Consoles.For(context);
                console.MarkupLineInterpolated($"Created trust domain [bold]{inventory.Domain}[/] ({algorithm.ToName()}) in {services.Home}");
                InventoryTable.Render(console, rows);
            }

            foreach (var warning in warnings)
            {
                context.Error.WriteLine($"warning: {warning}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}

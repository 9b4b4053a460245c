using System.CommandLine;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;

namespace Rotation.Cli.Commands;

/// <summary>rotation inventory: every CA, its status and how close it is to expiry.</summary>
internal static class InventoryCommand
{
    public static Command Create(CliContext context, Option<string?> home)
    {
        var domain = CliOptions.Domain();
        var json = CliOptions.Json();
        var command = new Command("inventory", "List the CAs of every trust domain (or one) with their expiry state") { domain, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = CliServices.OpenReadOnly(context, parseResult.GetValue(home));
            var rows = await services.Authorities.InventoryAsync(parseResult.GetValue(domain), cancellationToken: cancellationToken);
            if (parseResult.GetValue(json))
            {
                InventoryJson.Write(context.Output, rows);
            }
            else
            {
                InventoryTable.Render(Consoles.For(context), rows);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}

using System.CommandLine;
using Rotation.Cli.Parsing;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>rotation export istio|bundle: CA material in the files a mesh reads.</summary>
internal static class ExportCommand
{
    public static Command Create(CliContext context, Option<string?> home) =>
        new("export", "Write CA material for a mesh")
        {
            Istio(context, home),
            Bundle(context, home),
        };

    private static Command Istio(CliContext context, Option<string?> home)
    {
        var domain = CliOptions.Domain();
        var output = CliOptions.RequiredPath("--out", "Directory for ca-cert.pem, ca-key.pem (0600), root-cert.pem and cert-chain.pem", "DIR");
        var json = CliOptions.Json();
        var command = new Command("istio", "Write Istio's plug-in CA files (the 'cacerts' secret) for the active intermediate") { domain, output, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = CliServices.OpenExisting(context, parseResult.GetValue(home));
            var files = await services.Authorities.ExportIstioAsync(parseResult.GetValue(domain), parseResult.GetValue(output)!, cancellationToken);
            var load = $"kubectl create secret generic cacerts -n istio-system --from-file={Path.GetDirectoryName(files.CaCert)}";
            if (parseResult.GetValue(json))
            {
                Output.CliJson.Write(context.Output, new { files.CaCert, files.CaKey, files.RootCert, files.CertChain, load });
                return ExitCodes.Ok;
            }

            var console = Output.Consoles.For(context);
            console.MarkupLineInterpolated($"Wrote {files.CaCert}, {files.CaKey} (mode 0600), {files.RootCert}, {files.CertChain}");
            console.MarkupLineInterpolated($"Load them with: {load}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Bundle(CliContext context, Option<string?> home)
    {
        var domain = CliOptions.Domain();
        var output = CliOptions.RequiredPath("--out", "File for the PEM trust bundle (every root not yet retired)", "FILE");
        var json = CliOptions.Json();
        var command = new Command("bundle", "Write the trust bundle: every root a workload of the domain must trust") { domain, output, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = CliServices.OpenExisting(context, parseResult.GetValue(home));
            var file = parseResult.GetValue(output)!;
            var bundle = await services.Authorities.ExportBundleAsync(parseResult.GetValue(domain), file, cancellationToken);
            if (parseResult.GetValue(json))
            {
                Output.CliJson.Write(context.Output, new { file = Path.GetFullPath(file), roots = bundle.Count });
                return ExitCodes.Ok;
            }

            Output.Consoles.For(context).MarkupLineInterpolated($"Wrote {Path.GetFullPath(file)} with {bundle.Count} root(s)");
            return ExitCodes.Ok;
        });
        return command;
    }
}

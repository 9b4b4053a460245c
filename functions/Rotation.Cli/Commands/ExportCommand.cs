using System.CommandLine;
using Rotation.Cli.Parsing;
using Rotation.Core.Authorities.Istio;
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
        var istiodVersion = new Option<IstiodVersion?>("--istiod-version")
        {
            Description = "The istiod release the files are for; it decides the bytes of root-cert.pem during a rotation (default: any GA release)",
            HelpName = "VERSION",
            CustomParser = ParseIstiodVersion,
        };
        var multiRoot = new Option<bool>("--istiod-multi-root")
        {
            Description = "Whether istiod runs with ISTIO_MULTIROOT_MESH=true, as a root rotation requires (default true)",
            HelpName = "true|false",
            DefaultValueFactory = _ => true,
        };
        var json = CliOptions.Json();
        var command = new Command("istio", "Write Istio's plug-in CA files (the 'cacerts' secret) as the Istio target has written them: during a rotation, those of the phase reached")
        {
            domain, output, istiodVersion, multiRoot, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = CliServices.OpenReadOnly(context, parseResult.GetValue(home));
            var rule = new IstiodReloadRule(parseResult.GetValue(istiodVersion) ?? IstiodReloadRule.FallbackVersion, parseResult.GetValue(multiRoot));
            var files = await services.Authorities.ExportIstioAsync(parseResult.GetValue(domain), parseResult.GetValue(output)!, rule, cancellationToken);
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

    private static IstiodVersion? ParseIstiodVersion(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        var version = IstiodVersion.Parse(text);
        if (version is null)
            result.AddError($"--istiod-version: '{text}' is not an istiod release: give one like 1.26.2 or 1.27.0-beta.0");
        return version;
    }

    private static Command Bundle(CliContext context, Option<string?> home)
    {
        var domain = CliOptions.Domain();
        var output = CliOptions.RequiredPath("--out", "File for the PEM trust bundle (every root not yet retired)", "FILE");
        var json = CliOptions.Json();
        var command = new Command("bundle", "Write the trust bundle: every root a workload of the domain must trust") { domain, output, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = CliServices.OpenReadOnly(context, parseResult.GetValue(home));
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

using System.CommandLine;
using System.CommandLine.Parsing;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Rotation.Core.Authorities;
using Rotation.Core.Pki;

namespace Rotation.Cli.Commands;

/// <summary>rotation verify: does this chain verify against this bundle, at this time, for this TLS role? Exit 0, 4 (not valid) or 1 (unreadable input).</summary>
internal static class VerifyCommand
{
    public static Command Create(CliContext context)
    {
        var chain = CliOptions.RequiredPath("--chain", "PEM file: the leaf first, then any intermediates", "FILE");
        var bundle = CliOptions.RequiredPath("--bundle", "PEM file of trust anchors", "FILE");
        var at = CliOptions.At("Verify as of this instant (ISO 8601; default now)");
        var purpose = new Option<TlsPurpose?>("--purpose")
        {
            Description = "The TLS role the leaf must be fit for: client, server or any (default any)",
            HelpName = "PURPOSE",
            CustomParser = ParsePurpose,
        };
        // The enum's own names (Root, Intermediate) are not what the parser accepts.
        purpose.CompletionSources.Clear();
        purpose.CompletionSources.Add("client", "server", "any");
        var partialChain = new Option<bool>("--partial-chain")
        {
            Description = "Accept any certificate of the bundle as an anchor, not only a self-signed root (openssl -partial_chain)",
        };
        var strict = new Option<bool>("--strict")
        {
            Description = "Also apply the RFC 5280 checks of openssl verify -x509_strict",
        };
        var json = CliOptions.Json();
        var command = new Command("verify", "Verify a certificate chain against a trust bundle (exit 0 valid, 4 not valid, 1 unreadable input)")
        {
            chain, bundle, at, purpose, partialChain, strict, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var result = await VerifyService.VerifyFilesAsync(
                parseResult.GetValue(chain)!,
                parseResult.GetValue(bundle)!,
                parseResult.GetValue(at) ?? context.Time.GetUtcNow(),
                parseResult.GetValue(purpose) ?? TlsPurpose.Any,
                (parseResult.GetValue(partialChain) ? ChainVerifyFlags.PartialChain : ChainVerifyFlags.None)
                | (parseResult.GetValue(strict) ? ChainVerifyFlags.X509Strict : ChainVerifyFlags.None),
                cancellationToken);
            if (parseResult.GetValue(json))
            {
                // The verdict is the output; exit 4 still says "not valid" to a script that only reads the code.
                CliJson.Write(context.Output, VerdictJson(result));
            }

            if (!result.IsValid)
            {
                context.Error.WriteLine($"error: chain is not valid ({result.Status}): {result.Reason.ReplaceLineEndings(" ")}");
                return ExitCodes.ChainInvalid;
            }

            if (parseResult.GetValue(json))
            {
                return ExitCodes.Ok;
            }

            context.Output.WriteLine($"valid: {result.Chain[0].Subject} chains to {result.TrustAnchor!.Subject} (sha256 {result.TrustAnchor.Sha256})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static object VerdictJson(ChainVerificationResult result) => new
    {
        valid = result.IsValid,
        status = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(result.Status.ToString()),
        reason = result.IsValid ? null : result.Reason.ReplaceLineEndings(" "),
        chain = result.Chain.Select(c => new { subject = c.Subject, sha256 = c.Sha256, notAfter = c.NotAfter }).ToList(),
        trustAnchor = result.TrustAnchor is { } anchor ? new { subject = anchor.Subject, sha256 = anchor.Sha256 } : null,
    };

    private static TlsPurpose? ParsePurpose(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        switch (text.ToLowerInvariant())
        {
            case "client":
                return TlsPurpose.Client;
            case "server":
                return TlsPurpose.Server;
            case "any":
                return TlsPurpose.Any;
            default:
                result.AddError($"--purpose: unknown purpose '{text}': use client, server or any");
                return null;
        }
    }
}

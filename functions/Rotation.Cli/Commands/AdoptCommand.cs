using System.CommandLine;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Rotation.Core.Authorities;
using Rotation.Core.Authorities.Adoption;
using Rotation.Core.Domain;
using Rotation.Infra.Kubernetes.Clusters;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>rotation adopt: bring an existing CA under management, from files in a mesh's layout or from what a registered cluster holds.</summary>
internal static class AdoptCommand
{
    public static Command Create(CliContext context, Option<string?> home)
    {
        var domain = CliOptions.Domain();
        var fromDir = new Option<string?>("--from-dir") { Description = "Adopt the CA files in this folder (istio, linkerd, step-ca or cert-manager layout)", HelpName = "DIR" };
        var layout = new Option<string?>("--layout") { Description = "The folder's layout when it cannot be told from the file names: istio, linkerd, step-ca, cert-manager", HelpName = "LAYOUT" };
        layout.CompletionSources.Add("istio", "linkerd", "step-ca", "cert-manager");
        var fromCluster = new Option<string?>("--from-cluster") { Description = "Adopt what this registered cluster's targets hold now (its domain unless --domain)", HelpName = "NAME" };
        var passphraseFile = new Option<string?>("--key-passphrase-file") { Description = "File whose first line is the passphrase of an encrypted key (step-ca's intermediate_ca_key)", HelpName = "FILE" };
        var root = new Option<string?>("--root") { Description = "The root certificate(s) to trust (PEM; several roots are all adopted as trusted)", HelpName = "FILE" };
        var rootKey = new Option<string?>("--root-key") { Description = "The root's private key (optional: a root rotation does not need it, an intermediate rotation does)", HelpName = "FILE" };
        var intermediate = new Option<string?>("--intermediate") { Description = "The issuing intermediate certificate (PEM; its chain may follow it)", HelpName = "FILE" };
        var intermediateKey = new Option<string?>("--intermediate-key") { Description = "The issuing intermediate's private key (PEM, PKCS#8 or PKCS#1/SEC1; encrypted with --key-passphrase-file)", HelpName = "FILE" };
        var chain = new Option<string?>("--chain") { Description = "Further chain certificates (PEM), e.g. cert-chain.pem", HelpName = "FILE" };
        var json = CliOptions.Json();
        var command = new Command("adopt", "Bring an existing CA (root(s), issuing intermediate and its key) under management; checks everything first and changes nothing when it refuses")
        {
            domain, fromDir, layout, fromCluster, passphraseFile, root, rootKey, intermediate, intermediateKey, chain, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var dir = parseResult.GetValue(fromDir);
            var cluster = parseResult.GetValue(fromCluster);
            var files = ExplicitFiles.From(parseResult, root, rootKey, intermediate, intermediateKey, chain);
            if (new object?[] { dir, cluster, files }.Count(s => s is not null) != 1)
            {
                throw new UsageException("say what to adopt: pass exactly one of --from-dir DIR, --from-cluster NAME, or --root FILE --intermediate FILE --intermediate-key FILE");
            }

            if (files is not null && parseResult.GetValue(layout) is not null)
            {
                throw new UsageException("--layout applies only with --from-dir: --root, --intermediate and --intermediate-key name each file already");
            }

            if (cluster is not null && (parseResult.GetValue(layout) is not null || parseResult.GetValue(passphraseFile) is not null))
            {
                throw new UsageException("--layout and --key-passphrase-file apply only when adopting from files (--from-dir, or --root/--intermediate/--intermediate-key)");
            }

            var services = cluster is null ? CliServices.OpenOrCreate(context, parseResult.GetValue(home)) : await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            string domainName;
            AdoptionSource source;
            if (cluster is not null)
            {
                var (registration, contents) = await services.Clusters.ReadContentAsync(cluster, new ClusterConnectionFactory(timeProvider: context.Time), cancellationToken);
                domainName = parseResult.GetValue(domain) ?? registration.Domain;
                if (domainName != registration.Domain)
                {
                    throw new DomainException($"cluster '{cluster}' is registered in trust domain '{registration.Domain}', not '{domainName}': adopt into '{registration.Domain}', or register the cluster there");
                }

                source = AdoptionFromTargets.From(cluster, contents);
            }
            else
            {
                domainName = parseResult.GetValue(domain) ?? (File.Exists(services.DatabasePath)
                    ? (await DomainSelection.ResolveAsync(services.Store, null, cancellationToken)).Name
                    : throw new UsageException("name the trust domain to adopt into: pass --domain NAME"));
                var passphrase = parseResult.GetValue(passphraseFile) is { } file ? ReadPassphrase(file) : null;
                source = files is not null
                    ? AdoptionFiles.ReadFiles(files.Root, files.RootKey, files.Intermediate, files.IntermediateKey, files.Chain, passphrase)
                    : AdoptionFiles.Read(dir!, parseResult.GetValue(layout) is { } l ? AdoptionFiles.Parse(l) : null, passphrase);
            }

            var result = await new AdoptionService(services.Store, services.Custody, context.Time).AdoptAsync(domainName, source, cancellationToken);
            foreach (var warning in result.Warnings)
            {
                context.Error.WriteLine($"warning: {warning}");
            }

            var adopted = result.Inventory.Authorities.Where(a => a.Status != CaStatus.Retired).ToList();
            var rows = await services.Authorities.InventoryAsync(domainName, cancellationToken: cancellationToken);
            if (parseResult.GetValue(json))
            {
                CliJson.Write(context.Output, new
                {
                    domain = domainName,
                    created = result.Created,
                    origin = source.Origin,
                    adopted = adopted.Select(a => a.Id).ToList(),
                    authorities = InventoryJson.Items(rows),
                    warnings = result.Warnings,
                });
                return ExitCodes.Ok;
            }

            var console = Consoles.For(context);
            console.MarkupLineInterpolated(
                $"Adopted {source.Origin} into {(result.Created ? "new " : "")}trust domain [bold]{domainName}[/]: {string.Join(", ", adopted.Select(a => $"{a.Id} ({a.Role.ToString().ToLowerInvariant()}, {a.Status.ToString().ToLowerInvariant()})"))}.");
            InventoryTable.Render(console, rows);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string ReadPassphrase(string file)
    {
        var path = Path.GetFullPath(file);
        if (!File.Exists(path))
        {
            throw new DomainException($"passphrase file '{path}' does not exist: pass a file whose first line is the key's passphrase");
        }

        return File.ReadLines(path).FirstOrDefault()?.TrimEnd('\r') ?? string.Empty;
    }

    /// <summary>The file-by-file form; null when none of its options is given. --intermediate and --intermediate-key come with --root.</summary>
    private sealed record ExplicitFiles(string Root, string? RootKey, string Intermediate, string IntermediateKey, string? Chain)
    {
        public static ExplicitFiles? From(ParseResult parseResult, params Option<string?>[] options)
        {
            var values = options.Select(parseResult.GetValue).ToArray();
            if (values.All(v => v is null))
                return null;
            var (root, rootKey, intermediate, intermediateKey, chain) = (values[0], values[1], values[2], values[3], values[4]);
            if (root is null || intermediate is null || intermediateKey is null)
                throw new UsageException("adopting from files needs --root FILE, --intermediate FILE and --intermediate-key FILE (--root-key and --chain are optional)");
            return new ExplicitFiles(root, rootKey, intermediate, intermediateKey, chain);
        }
    }
}

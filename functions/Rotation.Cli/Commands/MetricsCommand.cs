using System.CommandLine;
using Rotation.Cli.Parsing;
using Rotation.Core.Metrics;
using Rotation.Infra.Prometheus;

namespace Rotation.Cli.Commands;

/// <summary>
/// rotation metrics: the estate's CA expiry, rotation progress and outbox depth in the Prometheus text format,
/// once to stdout (for node_exporter's textfile collector) or served on /metrics with --listen.
/// </summary>
internal static class MetricsCommand
{
    public static Command Create(CliContext context, Option<string?> home)
    {
        var domain = CliOptions.Domain();
        var listen = new Option<ListenAddress?>("--listen")
        {
            Description = "Serve /metrics on HOST:PORT until interrupted instead of printing once (e.g. 127.0.0.1:9464)",
            HelpName = "HOST:PORT",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (ListenAddress.TryParse(text, out var address, out var error))
                {
                    return address;
                }

                result.AddError($"--listen: {error}");
                return null;
            },
        };
        var command = new Command("metrics", "Print Rotation's metrics in the Prometheus text format, or serve them with --listen") { domain, listen };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var reader = new EstateMetricsReader(services.Store, context.Time);
            var selected = parseResult.GetValue(domain);
            // Read once up front so an unknown domain is an error now, not a failing scrape later.
            var first = await reader.ReadAsync(selected, cancellationToken);
            if (parseResult.GetValue(listen) is { } address)
            {
                return await ServeAsync(context, address, ct => reader.ReadAsync(selected, ct), cancellationToken);
            }

            var metrics = new RotationMetrics();
            metrics.Update(first);
            using var buffer = new MemoryStream();
            await metrics.WriteTextAsync(buffer, cancellationToken);
            await context.Output.WriteAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<int> ServeAsync(CliContext context, ListenAddress address, Func<CancellationToken, Task<EstateMetrics>> read, CancellationToken cancellationToken)
    {
        using var listener = new MetricsListener(address.Host, address.Port, read);
        try
        {
            listener.Start();
        }
        catch (System.Net.HttpListenerException ex)
        {
            throw new UsageException($"cannot listen on {address.Host}:{address.Port} ({ex.Message}): choose a free port, or a host this machine has");
        }

        var shown = address.Host == "+" ? "*" : address.Host;
        await context.Output.WriteLineAsync($"serving metrics on http://{shown}:{address.Port}/metrics (Ctrl-C to stop)");
        await context.Output.FlushAsync(cancellationToken);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C or SIGTERM: a clean stop.
        }

        return ExitCodes.Ok;
    }
}

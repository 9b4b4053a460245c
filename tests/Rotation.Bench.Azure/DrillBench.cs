using System.Text.Json;
using Rotation.Cli;

namespace Rotation.Bench.Azure;

/// <summary>
/// One `rotation drill --json` in this process (the real command tree, as CliRunner runs it in the tests), on the
/// embedded defaults or on the Azure test servers; prints one JSON line with its figures.
/// </summary>
internal static class DrillBench
{
    public static async Task<JsonElement> RunAsync(AzureTestServices servers, string adapters, int run, int clusters, int workloads, CancellationToken cancellationToken)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] args = ["drill", "--clusters", clusters.ToString(System.Globalization.CultureInfo.InvariantCulture), "--workloads", workloads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"];
        if (adapters == "azure")
        {
            args = [.. args, .. servers.AdapterFlags];
        }

        var exit = await CliApp.RunAsync(args, servers.Context(output, error), cancellationToken);
        var line = new Dictionary<string, object?> { ["kind"] = "drill", ["adapters"] = adapters, ["run"] = run, ["exit"] = exit };
        try
        {
            using var report = JsonDocument.Parse(output.ToString());
            var root = report.RootElement;
            foreach (var name in new[] { "wallMs", "mandatoryWaitMs", "overheadMs", "overheadRatio", "totalHandshakes", "totalFailures" })
            {
                line[name] = root.TryGetProperty(name, out var value) ? value.Clone() : null;
            }

            line["publishMs"] = root.TryGetProperty("events", out var events) ? events.GetProperty("publishMs").Clone() : null;
            line["pendingEvents"] = root.TryGetProperty("events", out events) ? events.GetProperty("pending").Clone() : null;
        }
        catch (JsonException)
        {
            line["error"] = error.ToString().Trim().Split('\n').LastOrDefault();
        }

        return JsonSerializer.SerializeToElement(line);
    }
}

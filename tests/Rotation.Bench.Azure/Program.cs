using System.Globalization;
using Rotation.Bench.Azure;

// scripts/bench-azure.sh's runner: starts the Azure test servers once, then per run a drill on the embedded defaults and
// one on the Azure adapters (interleaved, so both see the same machine load), then the publisher on each store.
// One JSON object per line on stdout; the script turns them into the side-by-side table.
var runs = 3;
var clusters = 3;
var workloads = 4;
var events = 1000;
for (var i = 0; i < args.Length; i++)
{
    int Next() => i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
        ? n
        : throw new ArgumentException($"{args[i]} needs a positive whole number");
    switch (args[i])
    {
        case "-n": runs = Next(); break;
        case "--clusters": clusters = Next(); break;
        case "--workloads": workloads = Next(); break;
        case "--events": events = Next(); break;
        default:
            Console.Error.WriteLine($"bench-azure runner: unknown option '{args[i]}': use -n RUNS, --clusters K, --workloads W, --events N");
            return 2;
    }
}

await using var servers = await AzureTestServices.StartAsync();
for (var run = 1; run <= runs; run++)
{
    foreach (var adapters in new[] { "embedded", "azure" })
    {
        Console.WriteLine((await DrillBench.RunAsync(servers, adapters, run, clusters, workloads, CancellationToken.None)).GetRawText());
    }
}

for (var run = 1; run <= runs; run++)
{
    foreach (var store in new[] { "sqlite", "table" })
    {
        Console.WriteLine((await PublisherBench.RunAsync(servers, store, run, events, CancellationToken.None)).GetRawText());
    }
}

return 0;

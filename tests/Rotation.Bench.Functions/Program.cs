using System.Globalization;
using Rotation.Bench.Functions;

// scripts/bench-functions.sh's runner: per run, one root rotation through the Durable orchestration (the real
// dispatcher in process, SQLite store, local vault) over each estate size, sizes interleaved so every size sees the
// same machine load. One JSON object per line on stdout; the script turns them into the side-by-side table.
var runs = 3;
var sizes = new List<int> { 10, 100, 1000 };
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "-n" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
            runs = n;
            i++;
            break;
        case "--sizes" when i + 1 < args.Length:
            var parsed = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k is > 0 and <= 5000 ? k : -1)
                .ToList();
            if (parsed.Count == 0 || parsed.Contains(-1))
            {
                Console.Error.WriteLine($"bench-functions runner: --sizes takes cluster counts 1 to 5000 separated by commas, not '{args[i]}'");
                return 2;
            }

            sizes = parsed;
            break;
        default:
            Console.Error.WriteLine($"bench-functions runner: unknown or incomplete option '{args[i]}': use -n RUNS, --sizes 10,100,1000");
            return 2;
    }
}

// The in-process Durable host's web server logs its lifetime to the console; stdout carries results only.
var results = Console.Out;
Console.SetOut(TextWriter.Null);
for (var run = 1; run <= runs; run++)
{
    foreach (var clusters in sizes)
    {
        await results.WriteLineAsync((await OrchestrationBench.RunAsync(clusters, run)).ToJson());
        await results.FlushAsync();
    }
}

return 0;

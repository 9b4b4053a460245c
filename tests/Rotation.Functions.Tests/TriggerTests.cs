using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rotation.Core.Authorities;
using Rotation.Functions.Hosting;
using Rotation.Functions.Tests.Support;
using Rotation.Functions.Triggers;

namespace Rotation.Functions.Tests;

/// <summary>The queue trigger for Event Grid deliveries, the expiry scan, and option validation at start.</summary>
public sealed class TriggerTests
{
    private const string NearExpiry = """
        {"specversion":"1.0","id":"kv-evt-0001","source":"/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/rotation-kv",
         "type":"Microsoft.KeyVault.CertificateNearExpiry","subject":"mesh-intermediate","time":"2026-12-01T10:00:00Z",
         "data":{"Id":"https://rotation-kv.vault.azure.net/certificates/mesh-intermediate/0123","VaultName":"rotation-kv","ObjectType":"Certificate","ObjectName":"mesh-intermediate","Version":"0123","NBF":1700000000,"EXP":1800000000}}
        """;

    [Fact]
    public async Task A_key_vault_event_is_handled_once_however_often_it_is_delivered()
    {
        await using var harness = await FunctionsHarness.StartAsync();
        var function = new EventQueueFunction(harness.Services.GetRequiredService<CaService>(), harness.Store, TimeProvider.System, NullLogger<EventQueueFunction>.Instance);

        var first = await function.HandleAsync(NearExpiry, default);
        var second = await function.HandleAsync(NearExpiry, default);

        Assert.Equal(new EventQueueResult(1, 1, 0, 0), first);
        Assert.Equal(new EventQueueResult(1, 0, 1, 0), second);
        var receipts = (await harness.Store.ReadOutboxAsync()).Where(e => e.Event.Type == EventQueueFunction.ReceiptType).ToList();
        Assert.Single(receipts);
        Assert.Contains("kv-evt-0001", receipts[0].Event.Data.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotations_own_events_are_ignored_and_garbage_throws_so_the_queue_can_poison_it()
    {
        await using var harness = await FunctionsHarness.StartAsync();
        var function = new EventQueueFunction(harness.Services.GetRequiredService<CaService>(), harness.Store, TimeProvider.System, NullLogger<EventQueueFunction>.Instance);
        var own = NearExpiry.Replace("Microsoft.KeyVault.CertificateNearExpiry", "Rotation.PhaseCompleted", StringComparison.Ordinal);

        Assert.Equal(new EventQueueResult(1, 0, 0, 1), await function.HandleAsync(own, default));
        await Assert.ThrowsAnyAsync<Exception>(() => function.HandleAsync("not json at all", default));
        Assert.DoesNotContain(await harness.Store.ReadOutboxAsync(), e => e.Event.Type == EventQueueFunction.ReceiptType);
    }

    [Fact]
    public async Task Expiry_scan_starts_an_orchestrated_intermediate_rotation_only_where_allowed_and_resumes_lost_ones()
    {
        await using var harness = await FunctionsHarness.StartAsync(recheck: TimeSpan.FromMinutes(5));
        var later = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(6)); // 1 of 7 intermediate days left: due
        var authorities = new CaService(harness.Store, harness.Custody, later);
        ExpiryScanFunction Scan(params string[] allowed)
        {
            var options = new RotationFunctionsOptions();
            foreach (var domain in allowed)
                options.AutoRotateIntermediates.Add(domain);
            return new ExpiryScanFunction(authorities, harness.Starter, later, Options.Create(options), NullLogger<ExpiryScanFunction>.Instance);
        }

        var notAllowed = await Scan().ScanAsync(harness.Client, default);
        Assert.Empty(notAllowed.RotationsStarted);
        Assert.True(notAllowed.Events > 0);
        Assert.Empty(await harness.Store.ListRotationsAsync());

        var allowed = await Scan(FunctionsHarness.Domain).ScanAsync(harness.Client, default);
        var id = Assert.Single(allowed.RotationsStarted);
        Assert.NotNull(await harness.Client.GetInstanceAsync(id));
        Assert.Equal(Rotation.Core.Rotations.RotationKind.Intermediate, (await harness.RecordAsync(id)).Kind);

        // An orchestration lost after the store commit (terminated here) is scheduled again by the next scan.
        await harness.Client.TerminateInstanceAsync(id);
        await harness.Client.WaitForInstanceCompletionAsync(id);
        var next = await Scan(FunctionsHarness.Domain).ScanAsync(harness.Client, default);
        Assert.Equal([id], next.OrchestrationsResumed);
        Assert.Empty(next.RotationsStarted);
        await harness.Client.TerminateInstanceAsync(id);
        await harness.WaitForCompletionAsync(id); // a running activity outlives the terminate: let it end before the home goes
    }

    [Fact]
    public void Options_are_validated_at_start_with_every_problem_listed()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rotation:Store"] = "cosmos",
            ["Rotation:KeyDirectory"] = "",
            ["Rotation:MaxClusterParallelism"] = "0",
            ["Rotation:RecheckInterval"] = "00:00:00",
            ["ExpiryScanSchedule"] = "hourly",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddRotationFunctions(configuration).BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RotationFunctionsOptions>>().Value);
        Assert.Equal(5, failure.Failures.Count());
        Assert.Contains(failure.Failures, f => f.Contains("Store is 'cosmos'", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("KeyDirectory is missing", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("MaxClusterParallelism is 0", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("RecheckInterval", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("ExpiryScanSchedule is 'hourly'", StringComparison.Ordinal));
    }

    [Fact]
    public void Default_options_with_paths_are_valid_and_the_parallelism_reaches_the_engine()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rotation:SqlitePath"] = "/tmp/rotation.db",
            ["Rotation:KeyDirectory"] = "/tmp/keys",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddRotationFunctions(configuration).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<RotationFunctionsOptions>>().Value;
        Assert.Equal(16, options.MaxClusterParallelism);
        Assert.Equal("0 0 * * * *", options.ExpiryScanSchedule);
        Assert.Equal(16, provider.GetRequiredService<Rotation.Core.Rotations.Engine.RotationEngineOptions>().MaxTargetConcurrency);
    }
}

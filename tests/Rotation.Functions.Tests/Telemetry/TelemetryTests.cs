using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Metrics;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Functions.Hosting;
using Rotation.Infra.LocalVault;
using Rotation.Infra.OpenTelemetry;
using Rotation.Infra.Prometheus;
using Rotation.Infra.Sqlite;

using Rotation.Testing;

namespace Rotation.Functions.Tests.Telemetry;

/// <summary>
/// The Functions host exports the metrics `rotation metrics` prints, through OpenTelemetry to Azure Monitor.
/// The class runs alone: a MeterProvider subscribes to meters by name across the whole process, so a Functions host
/// started by another test class at the same time (AzureAdaptersOrchestrationTests) exports its domain's series into
/// these readers too (a CI run saw mesh.azure.test's root beside this class's).
/// </summary>
[Collection(nameof(TelemetryTests))]
public sealed partial class TelemetryTests : IDisposable
{
    private const string Domain = "mesh.telemetry.test";
    private readonly TempDirectory _home = new("rotation-telemetry");
    private readonly SqliteStateStore _store;

    public TelemetryTests()
    {
        _store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _home.File("rotation.db") });
    }

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task The_meter_exports_every_series_of_the_prometheus_exposition_with_the_same_labels_and_values()
    {
        await InitAsync();
        var metrics = await new EstateMetricsReader(_store, TimeProvider.System).ReadAsync();

        var prometheus = new RotationMetrics();
        prometheus.Update(metrics);
        using var text = new MemoryStream();
        await prometheus.WriteTextAsync(text);
        var expected = ParseExposition(Encoding.UTF8.GetString(text.ToArray()));

        var exported = new List<Metric>();
        using var meter = new RotationMeter();
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(RotationMeter.MeterName).AddInMemoryExporter(exported).Build();
        meter.Update(metrics);
        provider.ForceFlush();
        var actual = Series(exported);

        Assert.Contains(expected, s => s.StartsWith(RotationMetricNames.CaExpiryTimestamp + "{", StringComparison.Ordinal) && s.Contains("layer=root", StringComparison.Ordinal));
        Assert.Contains(expected, s => s.StartsWith(RotationMetricNames.OutboxPending, StringComparison.Ordinal));
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_retired_series_stops_being_exported()
    {
        await InitAsync();
        var metrics = await new EstateMetricsReader(_store, TimeProvider.System).ReadAsync();
        var exported = new List<Metric>();
        using var meter = new RotationMeter();
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(RotationMeter.MeterName).AddInMemoryExporter(exported).Build();

        meter.Update(metrics);
        provider.ForceFlush();
        Assert.Contains(Series(exported), s => s.StartsWith(RotationMetricNames.CaExpiryTimestamp, StringComparison.Ordinal));

        exported.Clear();
        meter.Update(metrics with { Authorities = [] });
        provider.ForceFlush();
        Assert.DoesNotContain(Series(exported), s => s.StartsWith(RotationMetricNames.CaExpiryTimestamp, StringComparison.Ordinal));
        Assert.Contains(Series(exported), s => s.StartsWith(RotationMetricNames.OutboxPending, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Azure_Monitor_ingestion_receives_the_ca_series_with_the_hosts_entra_token()
    {
        await InitAsync();
        var tls = new LoopbackTls();
        await using var ingestion = await IngestionTestServer.StartAsync(tls, bearerToken: "ingestion-token");
        var credential = new RecordingCredential("ingestion-token");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [RotationTelemetryOptions.ConnectionStringSetting] = $"InstrumentationKey=7d1f0a52-52c4-4c39-9b55-5b8a3c1f0e11;IngestionEndpoint={ingestion.Endpoint}",
            [RotationTelemetryOptions.AuthenticationStringSetting] = "ClientId=00000000-0000-0000-0000-0000000000aa;Authorization=AAD",
        }).Build();

        using var host = new HostBuilder().ConfigureServices(services =>
        {
            services.AddSingleton<IStateStore>(_store);
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton<TokenCredential>(credential);
            services.Configure<AzureMonitorExporterOptions>(o =>
            {
                o.Transport = new HttpClientTransport(tls.TrustingHandler());
                o.DisableOfflineStorage = true;
            });
            services.AddRotationTelemetry(configuration);
        }).Build();
        await host.StartAsync();
        try
        {
            var meter = host.Services.GetRequiredService<RotationMeter>();
            await WaitAsync(() => meter.SnapshotAt is not null, "the refresher's first read");
            var flushed = host.Services.GetRequiredService<MeterProvider>().ForceFlush(30_000);
            Assert.True(flushed, "the Azure Monitor reader did not flush");
            await WaitAsync(() => ingestion.Metric(RotationMetricNames.CaExpiryTimestamp).Count >= 2, "the CA expiry series at the ingestion endpoint");
        }
        finally
        {
            await host.StopAsync();
        }

        var root = (await _store.ListAuthoritiesAsync(Domain)).Single(a => a.Role == CaRole.Root);
        var series = ingestion.Metric(RotationMetricNames.CaExpiryTimestamp);
        var rootSeries = Assert.Single(series, s => s.Properties.GetValueOrDefault("layer") == "root");
        Assert.Equal(Domain, rootSeries.Properties["domain"]);
        Assert.Equal(root.Id, rootSeries.Properties["ca"]);
        Assert.Equal(root.Certificate.NotAfter.ToUnixTimeSeconds(), rootSeries.Value);
        Assert.Equal("7d1f0a52-52c4-4c39-9b55-5b8a3c1f0e11", rootSeries.InstrumentationKey);
        Assert.Contains(series, s => s.Properties.GetValueOrDefault("layer") == "issuing");
        Assert.NotEmpty(ingestion.Metric(RotationMetricNames.OutboxPending));
        Assert.All(ingestion.Authorizations, a => Assert.Equal("Bearer ingestion-token", a));
        Assert.Contains("https://monitor.azure.com//.default", credential.Scopes);
    }

    [Fact]
    public void Bad_telemetry_settings_stop_the_host_with_every_problem_listed()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rotation:SqlitePath"] = "/tmp/rotation.db",
            ["Rotation:KeyDirectory"] = "/tmp/keys",
            ["Rotation:Telemetry:RefreshInterval"] = "00:00:01",
            [RotationTelemetryOptions.AuthenticationStringSetting] = "Authorization=Basic",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddRotationFunctions(configuration).BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RotationTelemetryOptions>>().Value);
        Assert.Equal(3, failure.Failures.Count());
        Assert.Contains(failure.Failures, f => f.Contains("RefreshInterval is 00:00:01", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("'Authorization=Basic'", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("APPLICATIONINSIGHTS_CONNECTION_STRING is not", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Authorization=AAD", true, null)]
    [InlineData("ClientId=abc-123;Authorization=AAD", true, "abc-123")]
    [InlineData(" clientid = abc ; authorization = aad ", true, "abc")]
    [InlineData("ClientId=abc", false, "abc")]
    [InlineData("Authorization=AAD;Secret=x", false, null)]
    [InlineData("", false, null)]
    public void The_authentication_string_is_read_as_Functions_documents_it(string value, bool valid, string? clientId)
    {
        Assert.Equal(valid, EntraAuthentication.TryParse(value, out var parsed));
        Assert.Equal(clientId, parsed);
    }

    private async Task InitAsync()
    {
        var custody = new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = _home.File("keys"), Passphrase = "telemetry-test-passphrase" });
        await new CaService(_store, custody, TimeProvider.System).InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeSpan.FromDays(7));
    }

    /// <summary>Each point as name{label=value,…} value, labels sorted: the form both exporters are compared in.</summary>
    private static List<string> Series(IEnumerable<Metric> metrics)
    {
        var series = new List<string>();
        foreach (var metric in metrics)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var labels = new List<string>();
                foreach (var tag in point.Tags)
                    labels.Add($"{tag.Key}={tag.Value}");
                series.Add(Format(metric.Name, labels, point.GetGaugeLastValueDouble()));
            }
        }

        return series;
    }

    private static List<string> ParseExposition(string text)
    {
        var series = new List<string>();
        foreach (var line in text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var match = ExpositionLine().Match(line);
            Assert.True(match.Success, $"not an exposition line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value).Select(m => $"{m.Groups[1].Value}={m.Groups[2].Value}").ToList();
            series.Add(Format(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return series;
    }

    private static string Format(string name, List<string> labels, double value) =>
        $"{name}{{{string.Join(',', labels.Order(StringComparer.Ordinal))}}} {value.ToString("R", CultureInfo.InvariantCulture)}";

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$")]
    private static partial Regex ExpositionLine();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)""")]
    private static partial Regex LabelPair();

    /// <summary>The host's TokenCredential in a test: a fixed token, and the scopes the exporter asked for.</summary>
    private sealed class RecordingCredential(string token) : TokenCredential
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _scopes = new();

        public IReadOnlyList<string> Scopes => [.. _scopes];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            foreach (var scope in requestContext.Scopes)
                _scopes.Enqueue(scope);
            return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}

[CollectionDefinition(nameof(TelemetryTests), DisableParallelization = true)]
public sealed class TelemetryCollection;

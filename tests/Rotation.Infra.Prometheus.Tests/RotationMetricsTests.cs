using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Authorities;
using Rotation.Core.Metrics;
using Rotation.Core.Pki;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Infra.Prometheus.Tests;

/// <summary>
/// The exposition of a real home (SQLite file, local vault): promtool accepts it, the values are the CAs' own, and
/// a series that stops being true disappears instead of lingering with its last value.
/// </summary>
public sealed class RotationMetricsTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new("rotation-metrics");
    private readonly FakeTimeProvider _time = new(Start);
    private readonly SqliteStateStore _store;
    private readonly CaService _authorities;

    public RotationMetricsTests()
    {
        _store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _temp.File("rotation.db") }, _time);
        var vault = new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = _temp.File("keys"), Passphrase = "metrics test passphrase" });
        _authorities = new CaService(_store, vault, _time);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_home_exports_one_series_per_CA_that_promtool_accepts()
    {
        var inventory = await _authorities.InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));

        var text = await ExpositionAsync();

        var (exit, output) = await Promtool.RunAsync(text, "check", "metrics");
        Assert.True(exit == 0, $"promtool check metrics: {output}\n{text}");
        var root = inventory.ActiveRoot;
        var issuing = inventory.ActiveIntermediate;
        Assert.Equal(root.NotAfter.ToUnixTimeSeconds(), Value(text, RotationMetricNames.CaExpiryTimestamp, $"layer=\"root\",ca=\"{root.Id}\""));
        Assert.Equal(issuing.NotAfter.ToUnixTimeSeconds(), Value(text, RotationMetricNames.CaExpiryTimestamp, $"layer=\"issuing\",ca=\"{issuing.Id}\""));
        Assert.Equal(1, Value(text, RotationMetricNames.CaExpiryState, $"ca=\"{issuing.Id}\",cluster=\"\",status=\"active\",state=\"ok\""));
        Assert.Equal(0, Value(text, RotationMetricNames.CaExpiryState, $"ca=\"{issuing.Id}\",cluster=\"\",status=\"active\",state=\"warning\""));
        Assert.Equal(0, Value(text, RotationMetricNames.OutboxPending, null));
        Assert.DoesNotContain("process_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Near_expiry_the_state_and_lifetime_left_follow_the_policy()
    {
        var inventory = await _authorities.InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));
        var issuing = inventory.ActiveIntermediate;
        _time.SetUtcNow(issuing.NotAfter.AddDays(-10));

        var text = await ExpositionAsync();

        Assert.Equal(1, Value(text, RotationMetricNames.CaExpiryState, $"ca=\"{issuing.Id}\",cluster=\"\",status=\"active\",state=\"warning\""));
        Assert.Equal(0, Value(text, RotationMetricNames.CaExpiryState, $"ca=\"{issuing.Id}\",cluster=\"\",status=\"active\",state=\"ok\""));
        Assert.InRange(Value(text, RotationMetricNames.CaLifetimeLeftRatio, $"ca=\"{issuing.Id}\""), 10.0 / 365 - 0.001, 10.0 / 365 + 0.001);
    }

    [Fact]
    public void A_series_that_is_no_longer_true_is_removed()
    {
        var metrics = new RotationMetrics();
        var at = Start;
        var ca = new CaExpirySample(Domain, Core.Expiry.CertificateLayer.Root, "root-old", string.Empty, "active", at.AddDays(30), 0.1, Core.Expiry.ExpiryState.Critical);
        var rotation = new RotationSample(Domain, "rot-1", Core.Rotations.RotationKind.Root, Core.Rotations.RotationPhase.VerifyTrust, TimeSpan.FromMinutes(5),
            new GateHold(GateHoldReason.TrustNotConverged, TimeSpan.FromMinutes(4), at.AddMinutes(1)));
        metrics.Update(new EstateMetrics(at, [ca], [rotation], new OutboxSample(3, TimeSpan.FromMinutes(2))));
        var before = Render(metrics);
        Assert.Contains("ca=\"root-old\"", before, StringComparison.Ordinal);
        Assert.Equal(240, Value(before, RotationMetricNames.GateHoldingSeconds, "reason=\"trust_not_converged\""));

        metrics.Update(new EstateMetrics(at, [], [], new OutboxSample(0, TimeSpan.Zero)));
        var after = Render(metrics);

        Assert.DoesNotContain("root-old", after, StringComparison.Ordinal);
        Assert.DoesNotContain("rot-1", after, StringComparison.Ordinal);
        Assert.Equal(0, Value(after, RotationMetricNames.OutboxPending, null));
    }

    [Fact]
    public async Task The_listener_serves_what_the_store_holds_at_each_scrape()
    {
        await _authorities.InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));
        var reader = new EstateMetricsReader(_store, _time);
        var port = FreePort();
        using var listener = new MetricsListener("127.0.0.1", port, ct => reader.ReadAsync(cancellationToken: ct));
        listener.Start();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        var first = await http.GetStringAsync("metrics");
        await _authorities.InitAsync("second.example.internal", KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));
        var second = await http.GetStringAsync("metrics");

        Assert.Contains($"domain=\"{Domain}\"", first, StringComparison.Ordinal);
        Assert.DoesNotContain("second.example.internal", first, StringComparison.Ordinal);
        Assert.Contains("domain=\"second.example.internal\"", second, StringComparison.Ordinal);
        var (exit, output) = await Promtool.RunAsync(second, "check", "metrics");
        Assert.True(exit == 0, output);
    }

    private async Task<string> ExpositionAsync()
    {
        var metrics = new RotationMetrics();
        metrics.Update(await new EstateMetricsReader(_store, _time).ReadAsync());
        return Render(metrics);
    }

    private static string Render(RotationMetrics metrics)
    {
        using var buffer = new MemoryStream();
        metrics.WriteTextAsync(buffer).GetAwaiter().GetResult();
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose label text contains <paramref name="labels"/>.</summary>
    private static double Value(string exposition, string name, string? labels)
    {
        var lines = exposition.Split('\n')
            .Where(l => l.StartsWith(name, StringComparison.Ordinal) && (l.Length > name.Length && (l[name.Length] == '{' || l[name.Length] == ' ')))
            .Where(l => labels is null || l.Contains(labels, StringComparison.Ordinal))
            .ToList();
        var line = Assert.Single(lines);
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}

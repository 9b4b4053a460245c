using System.Text.Json;
using System.Text.RegularExpressions;
using Rotation.Core.Expiry;
using Rotation.Core.Metrics;
using Rotation.Testing;
using YamlDotNet.Serialization;

namespace Rotation.Infra.Prometheus.Tests;

/// <summary>
/// The alert pack in infra/prometheus: it loads in real Prometheus (promtool check), its unit tests pass
/// (promtool test: each alert fires at its threshold and not before), and it says what Rotation's policy says.
/// </summary>
public sealed partial class AlertPackTests : IDisposable
{
    private const string RulesFile = "rotation-alerts.rules.yml";
    private const string ManifestFile = "rotation-alerts.prometheusrule.yaml";
    private const string UnitTestsFile = "tests/rotation-alerts.test.yml";
    private readonly TempDirectory _temp = new("rotation-alerts");

    public void Dispose() => _temp.Dispose();

    private static string PackFile(string name) => Path.Combine(Promtool.AlertPackDirectory, name);

    [Fact]
    public async Task The_rules_file_loads_in_promtool()
    {
        var (exit, output) = await Promtool.RunAsync(null, "check", "rules", PackFile(RulesFile));

        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS", output);
    }

    [Fact]
    public async Task The_PrometheusRule_manifest_carries_the_same_groups_and_they_load_too()
    {
        var rules = ReadYaml(PackFile(RulesFile));
        var manifest = ReadYaml(PackFile(ManifestFile));

        Assert.Equal("monitoring.coreos.com/v1", manifest.GetProperty("apiVersion").GetString());
        Assert.Equal("PrometheusRule", manifest.GetProperty("kind").GetString());
        var groups = manifest.GetProperty("spec").GetProperty("groups");
        Assert.Equal(rules.GetProperty("groups").GetRawText(), groups.GetRawText());

        var extracted = _temp.File("from-manifest.rules.yml");
        await File.WriteAllTextAsync(extracted, $"{{\"groups\": {groups.GetRawText()}}}");
        var (exit, output) = await Promtool.RunAsync(null, "check", "rules", extracted);
        Assert.True(exit == 0, output);
    }

    [Fact]
    public async Task Every_alert_fires_at_its_threshold_and_not_before()
    {
        var (exit, output) = await Promtool.RunAsync(null, "test", "rules", PackFile(UnitTestsFile));

        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS", output);
    }

    [Fact]
    public async Task The_unit_tests_catch_a_threshold_moved_by_one_hour()
    {
        // Negative control: the same unit tests against a pack whose issuing warning comes an hour late must fail,
        // or they would pass whatever the rules said.
        var folder = _temp.Combine("pack");
        Directory.CreateDirectory(Path.Combine(folder, "tests"));
        var rules = await File.ReadAllTextAsync(PackFile(RulesFile));
        var moved = rules.Replace("< 2592000\n          and (rotation_ca_expiry_timestamp_seconds{layer=\"issuing\"}", "< 2588400\n          and (rotation_ca_expiry_timestamp_seconds{layer=\"issuing\"}", StringComparison.Ordinal);
        Assert.NotEqual(rules, moved);
        await File.WriteAllTextAsync(Path.Combine(folder, RulesFile), moved);
        File.Copy(PackFile(UnitTestsFile), Path.Combine(folder, UnitTestsFile));

        var (exit, output) = await Promtool.RunAsync(null, "test", "rules", Path.Combine(folder, UnitTestsFile));

        Assert.NotEqual(0, exit);
        Assert.Contains("RotationIssuingCaExpiring", output);
    }

    [Theory]
    [InlineData("root", CertificateLayer.Root)]
    [InlineData("intermediate", CertificateLayer.Intermediate)]
    [InlineData("issuing", CertificateLayer.IssuingCa)]
    [InlineData("workload", CertificateLayer.Workload)]
    public void Per_layer_thresholds_are_the_expiry_policy_defaults(string layer, CertificateLayer policyLayer)
    {
        var expected = new ExpiryPolicyOptions().For(policyLayer);
        var expiryRules = ReadYaml(PackFile(RulesFile)).GetProperty("groups").EnumerateArray()
            .Single(g => g.GetProperty("name").GetString() == "rotation-ca-expiry")
            .GetProperty("rules").EnumerateArray()
            .Where(r => r.GetProperty("expr").GetString()!.Contains($"layer=\"{layer}\"", StringComparison.Ordinal))
            .ToDictionary(r => r.GetProperty("labels").GetProperty("severity").GetString()!, r => r.GetProperty("expr").GetString()!);

        Assert.Equal(["critical", "warning"], expiryRules.Keys.Order());
        Assert.Equal((long)expected.Warning.TotalSeconds, Bound(expiryRules["warning"], "<"));
        Assert.Equal((long)expected.Critical.TotalSeconds, Bound(expiryRules["warning"], ">="));
        Assert.Equal((long)expected.Critical.TotalSeconds, Bound(expiryRules["critical"], "<"));
    }

    [Fact]
    public void Alerts_match_only_metrics_Rotation_exports_or_the_two_mesh_metrics_article_002_names()
    {
        var exported = typeof(RotationMetricNames).GetFields().Select(f => (string)f.GetValue(null)!).ToHashSet();
        string[] meshMetrics = ["certmanager_certificate_expiration_timestamp_seconds", "istio_agent_cert_expiry_seconds"];
        var used = ReadYaml(PackFile(RulesFile)).GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .SelectMany(r => MetricName().Matches(r.GetProperty("expr").GetString()!).Select(m => m.Value))
            .ToHashSet();

        Assert.All(used, name => Assert.True(exported.Contains(name) || meshMetrics.Contains(name), $"{name} is neither exported nor a mesh metric"));
        Assert.Contains(RotationMetricNames.CaExpiryTimestamp, used);
        Assert.Contains(RotationMetricNames.GateHoldingSeconds, used);
        Assert.Contains(RotationMetricNames.OutboxOldestPendingAge, used);
    }

    private static long Bound(string expr, string op) =>
        long.Parse(Regex.Match(expr, $@"\) {Regex.Escape(op)} (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\b(rotation|certmanager|istio)_[a-z_]+\b")]
    private static partial Regex MetricName();

    private static JsonElement ReadYaml(string path)
    {
        var yaml = new DeserializerBuilder().Build().Deserialize<object>(File.ReadAllText(path));
        var json = new SerializerBuilder().JsonCompatible().Build().Serialize(yaml);
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rotation.Functions.Hosting;

namespace Rotation.Functions.Tests.EstateWatch;

/// <summary>Rotation__EstateWatch__*: bound from app settings by the deployed composition and validated at start, every problem listed.</summary>
public sealed class EstateWatchOptionsTests
{
    private static ServiceProvider Host(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddLogging().AddRotationFunctions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();

    [Fact]
    public void Every_bad_value_is_listed_at_once()
    {
        using var provider = Host(new()
        {
            ["Rotation:EstateWatch:DiscoveryInterval"] = "00:00:00",
            ["Rotation:EstateWatch:Debounce"] = "00:01:00",
            ["Rotation:EstateWatch:PendingWindow"] = "01:00:00",
        });

        var failures = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EstateWatchOptions>>().Value).Failures.ToList();
        Assert.Equal(3, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Rotation:EstateWatch:DiscoveryInterval is 00:00:00", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Rotation:EstateWatch:Debounce is 00:01:00", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Rotation:EstateWatch:PendingWindow is 01:00:00", StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_bind_over_the_defaults_and_switch_the_relay_off()
    {
        using var home = new Rotation.Testing.TempDirectory("rotation-estate-watch-options");
        using var provider = Host(new()
        {
            ["Rotation:SqlitePath"] = home.File("rotation.db"),
            ["Rotation:KeyDirectory"] = home.File("keys"),
            ["Rotation:EstateWatch:Enabled"] = "false",
            ["Rotation:EstateWatch:DiscoveryInterval"] = "00:02:00",
        });

        var options = provider.GetRequiredService<IOptions<EstateWatchOptions>>().Value;
        Assert.False(options.Enabled);
        Assert.Equal(TimeSpan.FromMinutes(2), options.DiscoveryInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Debounce);
        Assert.False(provider.GetRequiredService<EstateChangeRelay>().Enabled);
    }
}

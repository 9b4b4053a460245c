using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Rotation.Core;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;
using Rotation.Functions.Events;
using Rotation.Infra.Kubernetes;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.LocalVault;
using Rotation.Infra.OpenTelemetry;
using Rotation.Infra.Sqlite;

namespace Rotation.Functions.Hosting;

/// <summary>Composition of the Functions host: options, adapters, the engine (shared AddRotationEngine) and the host's own services.</summary>
public static class FunctionsServiceCollectionExtensions
{
    /// <summary>Everything the deployed host needs, bound from <paramref name="configuration"/>.</summary>
    public static IServiceCollection AddRotationFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RotationFunctionsOptions>()
            .Configure(o =>
            {
                configuration.GetSection(RotationFunctionsOptions.SectionName).Bind(o);
                o.ExpiryScanSchedule = configuration["ExpiryScanSchedule"] ?? o.ExpiryScanSchedule;
            });
        services.TryAddSingleton<IValidateOptions<RotationFunctionsOptions>, RotationFunctionsOptionsValidator>();
        services.AddOptions<RotationFunctionsOptions>().ValidateOnStart();

        services.TryAddSingleton<IStateStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RotationFunctionsOptions>>().Value;
            return new SqliteStateStore(new SqliteStoreOptions { DatabasePath = options.SqlitePath! }, sp.GetRequiredService<TimeProvider>());
        });
        services.TryAddSingleton<IKeyCustody>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RotationFunctionsOptions>>().Value;
            return new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = options.KeyDirectory!, Passphrase = configuration[options.KeyPassphraseSetting] });
        });
        services.TryAddSingleton<ITargetResolver>(sp => new KubernetesTargetResolver(
            sp.GetRequiredService<IStateStore>(), new ClusterConnectionFactory(timeProvider: sp.GetRequiredService<TimeProvider>())));
        services.TryAddSingleton(sp => ClusterRegistry.Create(sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<TimeProvider>()));
        // The metrics `rotation metrics` prints, as an OpenTelemetry meter exported to Application Insights.
        services.AddRotationTelemetry(configuration);
        return services.AddRotationHost();
    }

    /// <summary>The host's services over adapters already registered (the tests register theirs first).</summary>
    public static IServiceCollection AddRotationHost(this IServiceCollection services)
    {
        services.AddOptions<RotationFunctionsOptions>();
        services.TryAddSingleton(sp => new RotationEngineOptions
        {
            MaxTargetConcurrency = sp.GetRequiredService<IOptions<RotationFunctionsOptions>>().Value.MaxClusterParallelism,
        });
        services.AddRotationEngine();
        services.TryAddSingleton<IOutboxPublisher, UnconfiguredOutboxPublisher>();
        services.TryAddSingleton<RotationStarter>();
        return services;
    }
}

/// <summary>Fails the host's start with every problem of <see cref="RotationFunctionsOptions"/> at once.</summary>
public sealed class RotationFunctionsOptionsValidator : IValidateOptions<RotationFunctionsOptions>
{
    public ValidateOptionsResult Validate(string? name, RotationFunctionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rotation.Core;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;
using Rotation.Functions.Events;
using Rotation.Infra.Kubernetes;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Composition;
using Rotation.Infra.OpenTelemetry;

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
                // Secrets and the identity come from their own app settings, not from the Rotation section.
                o.KeyPassphrase = configuration[o.KeyPassphraseSetting] ?? o.KeyPassphrase;
                o.ManagedIdentityClientId = configuration[RotationFunctionsOptions.ClientIdSetting] ?? o.ManagedIdentityClientId;
            });
        services.TryAddSingleton<IValidateOptions<RotationFunctionsOptions>, RotationFunctionsOptionsValidator>();
        services.AddOptions<RotationFunctionsOptions>().ValidateOnStart();

        // Store, custody, event sink and the one TokenCredential: the same composition as the CLI's.
        services.AddRotationAdapters(sp => sp.GetRequiredService<IOptions<RotationFunctionsOptions>>().Value);
        // AKS clusters connect with the same credential as every other Azure client; the estate watch uses the same factory.
        services.TryAddSingleton(sp => new ClusterConnectionFactory(timeProvider: sp.GetRequiredService<TimeProvider>(), azureCredential: sp.GetRequiredService<TokenCredential>()));
        services.TryAddSingleton<ITargetResolver>(sp => new KubernetesTargetResolver(sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<ClusterConnectionFactory>()));
        services.AddOptions<EstateWatchOptions>().Bind(configuration.GetSection(EstateWatchOptions.SectionName));
        services.TryAddSingleton(sp => ClusterRegistry.Create(
            sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<TimeProvider>(), azureCredential: sp.GetRequiredService<TokenCredential>()));
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
        // The configured sink's drain (Events = eventgrid | webhook), else the stand-in that says events are waiting.
        services.TryAddSingleton<IOutboxPublisher>(sp => sp.GetService<OutboxPublisher>() is { } publisher
            ? new OutboxDrain(publisher, sp.GetRequiredService<ILogger<OutboxDrain>>())
            : new UnconfiguredOutboxPublisher(sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<ILogger<UnconfiguredOutboxPublisher>>()));
        services.TryAddSingleton<RotationStarter>();
        services.AddEstateWatch();
        // Events leave right after the commit that made them, and the PublishEvents timer sends whatever that missed.
        return services.AddOutboxNudge();
    }

    /// <summary>The estate watch that wakes Durable gates on a change (<see cref="EstateChangeRelay"/>), with its options validated at start.</summary>
    public static IServiceCollection AddEstateWatch(this IServiceCollection services)
    {
        services.AddOptions<EstateWatchOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EstateWatchOptions>, EstateWatchOptionsValidator>());
        services.TryAddSingleton(sp => new ClusterConnectionFactory(timeProvider: sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<DurableClientSource>();
        services.TryAddSingleton<EstateChangeRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<EstateChangeRelay>());
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

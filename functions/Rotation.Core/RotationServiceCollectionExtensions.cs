using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Rotation.Core.Authorities;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Core;

/// <summary>
/// Composes the engine from whatever adapters the host registered (<see cref="IStateStore"/>, <see cref="IKeyCustody"/>,
/// <see cref="ITargetResolver"/>). A host that uses a container (Functions) calls this; the CLI builds the same
/// objects by hand in its CliServices, with the same constructors.
/// </summary>
public static class RotationServiceCollectionExtensions
{
    public static IServiceCollection AddRotationEngine(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RotationEngineOptions>();
        services.TryAddSingleton(sp => new CaService(sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<IKeyCustody>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new RotationService(
            sp.GetRequiredService<IStateStore>(),
            sp.GetRequiredService<IKeyCustody>(),
            sp.GetRequiredService<ITargetResolver>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<RotationEngineOptions>()));
        services.TryAddSingleton(sp => new RotationStepRunner(
            sp.GetRequiredService<IStateStore>(),
            sp.GetRequiredService<IKeyCustody>(),
            sp.GetRequiredService<ITargetResolver>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<RotationEngineOptions>(),
            sp.GetService<ILogger<RotationStepRunner>>()));
        return services;
    }
}

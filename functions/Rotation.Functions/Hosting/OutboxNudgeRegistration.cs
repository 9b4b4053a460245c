using Microsoft.Extensions.DependencyInjection;
using Rotation.Core.Ports;
using Rotation.Functions.Events;

namespace Rotation.Functions.Hosting;

/// <summary>Wraps the registered <see cref="IStateStore"/> so every commit with events wakes <see cref="OutboxNudge"/>.</summary>
internal static class OutboxNudgeRegistration
{
    public static IServiceCollection AddOutboxNudge(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(OutboxNudge)))
        {
            return services; // already wrapped: AddRotationHost may run twice.
        }

        services.AddSingleton<OutboxNudge>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxNudge>());

        // The store is registered by whoever composes first (the adapters, or a test); wrap the last registration,
        // which is the one the container would resolve.
        var configured = services.LastOrDefault(d => d.ServiceType == typeof(IStateStore) && !d.IsKeyedService);
        if (configured is null)
        {
            return services; // nothing to wrap: resolving IStateStore fails and names it, as before.
        }

        services.Remove(configured);
        services.AddSingleton<IStateStore>(sp =>
        {
            var (inner, owned) = configured switch
            {
                { ImplementationInstance: IStateStore instance } => (instance, false),
                { ImplementationFactory: { } factory } => ((IStateStore)factory(sp), true),
                _ => ((IStateStore)ActivatorUtilities.CreateInstance(sp, configured.ImplementationType!), true),
            };
            return new OutboxNudgingStateStore(inner, sp.GetRequiredService<OutboxNudge>(), owned);
        });
        return services;
    }
}

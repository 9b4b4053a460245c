using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Rotation.Functions.Hosting;

/// <summary>
/// The Durable client the estate relay raises events through. The isolated worker registers no
/// <see cref="DurableTaskClient"/> in its container (a client arrives only as a <c>[DurableClient]</c> binding), so a
/// function with that binding hands its client over (<see cref="Triggers.EstateWatchFunction"/>); the worker extension
/// caches the client behind it for the life of the process, so keeping it is safe. A host that does register one (the
/// Durable test host) is used as it is.
/// </summary>
public sealed class DurableClientSource(IServiceProvider services)
{
    private DurableTaskClient? _attached;

    public void Attach(DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Volatile.Write(ref _attached, client);
    }

    /// <summary>The client to use, or null while no function has handed one over yet.</summary>
    public DurableTaskClient? Current => Volatile.Read(ref _attached) ?? services.GetService<DurableTaskClient>();
}

using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Rotation.Functions.Hosting;

namespace Rotation.Functions.Triggers;

/// <summary>
/// Every minute: hands this instance's Durable client to the <see cref="EstateChangeRelay"/> (the isolated worker
/// gives a client only to functions bound to one) and runs a discovery pass, so a worker that starts watches within a
/// minute. Where this timer runs, the relay runs.
/// </summary>
public sealed class EstateWatchFunction(EstateChangeRelay relay, DurableClientSource clients)
{
    public const string Schedule = "30 * * * * *";

    [Function("EstateWatch")]
    public Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        clients.Attach(client);
        return relay.DiscoverAsync(cancellationToken);
    }
}

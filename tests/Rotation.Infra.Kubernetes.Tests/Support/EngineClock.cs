using Microsoft.Extensions.Time.Testing;

namespace Rotation.Infra.Kubernetes.Tests.Support;

/// <summary>
/// The engine's fake "now" for the simulated controllers (certificates minted by the engine are valid from the
/// engine's clock, so the simulated istiod must check them at that time), with real timers so controllers still act.
/// </summary>
public sealed class EngineClock(FakeTimeProvider engine) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => engine.GetUtcNow();
}

using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Rotations.Steps;

/// <summary>One phase's work. Idempotent: running it again, or after a crash half-way, leaves the same outcome.</summary>
public interface IPhaseStep
{
    Task<PhaseOutcome> RunAsync(StepContext context, CancellationToken cancellationToken);
}

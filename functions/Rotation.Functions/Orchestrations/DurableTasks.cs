using Microsoft.DurableTask;

namespace Rotation.Functions.Orchestrations;

/// <summary>
/// Every orchestrator and activity, registered in one place. Program.cs passes <see cref="Register"/> to
/// ConfigureDurableWorker().AddTasks, and the tests pass it to DurableTaskTestHost.StartAsync: the tested
/// registration is the deployed one.
/// </summary>
public static class DurableTasks
{
    public static void Register(DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddOrchestrator<RotationOrchestrator>();
        registry.AddActivity<LoadRotationActivity>();
        registry.AddActivity<AdvancePhaseActivity>();
        registry.AddActivity<RunTargetActivity>();
        registry.AddActivity<RecordSignalActivity>();
    }
}

using Microsoft.Extensions.Options;

namespace Rotation.Functions.Hosting;

/// <summary>
/// The estate watch of the Functions host (section "Rotation:EstateWatch"; app settings Rotation__EstateWatch__Name):
/// <see cref="EstateChangeRelay"/> watches the registered clusters of each active rotation and wakes its orchestration
/// when something its gates read changed. Validated when the host starts, every problem at once.
/// </summary>
public sealed class EstateWatchOptions
{
    public const string SectionName = "Rotation:EstateWatch";

    /// <summary>False: no watch; gates re-check on their durable timers alone (backoff from 30 s to 10 min by default).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the store is read for active rotations and their clusters (a new rotation or cluster is watched within this).</summary>
    public TimeSpan DiscoveryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long after a first change the relay waits before raising one event for everything that changed meanwhile.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long a change seen while no gate of the rotation holds (a step is running) is kept: if a gate that a change can
    /// release holds within this, the event is raised then (the step may have read its evidence before the change).
    /// </summary>
    public TimeSpan PendingWindow { get; set; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (DiscoveryInterval < TimeSpan.FromSeconds(1) || DiscoveryInterval > TimeSpan.FromHours(1))
            problems.Add($"{SectionName}:DiscoveryInterval is {DiscoveryInterval}: it must be between 00:00:01 and 01:00:00 (default 00:00:30)");
        if (Debounce < TimeSpan.Zero || Debounce > TimeSpan.FromSeconds(10))
            problems.Add($"{SectionName}:Debounce is {Debounce}: it must be between 00:00:00 and 00:00:10 (default 00:00:00.250)");
        if (PendingWindow < TimeSpan.Zero || PendingWindow > TimeSpan.FromMinutes(10))
            problems.Add($"{SectionName}:PendingWindow is {PendingWindow}: it must be between 00:00:00 and 00:10:00 (default 00:00:30)");
        return problems;
    }
}

/// <summary>Fails the host's start with every problem of <see cref="EstateWatchOptions"/> at once.</summary>
public sealed class EstateWatchOptionsValidator : IValidateOptions<EstateWatchOptions>
{
    public ValidateOptionsResult Validate(string? name, EstateWatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

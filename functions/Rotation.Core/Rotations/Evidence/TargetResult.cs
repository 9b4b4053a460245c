namespace Rotation.Core.Rotations.Evidence;

/// <summary>What one target answered (<see cref="Value"/>), or why it could not (<see cref="Error"/>).</summary>
public sealed record TargetResult<T>(string Target, T? Value, string? Error)
    where T : class;

public static class TargetResult
{
    public static TargetResult<T> Ok<T>(string target, T value) where T : class => new(target, value, null);
    public static TargetResult<T> Unavailable<T>(string target, string error) where T : class => new(target, null, error);
}

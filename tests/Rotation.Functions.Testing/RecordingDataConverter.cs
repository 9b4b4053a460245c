using System.Collections.Concurrent;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;

namespace Rotation.Functions.Tests.Support;

/// <summary>
/// The worker's data converter with a tap: every payload the worker serializes for the backend (activity inputs
/// and outputs, orchestration inputs and outputs, ContinueAsNew input, custom status) is kept, so a test can assert
/// what Durable history would store.
/// </summary>
public sealed class RecordingDataConverter : DataConverter
{
    private readonly DataConverter _inner = JsonDataConverter.Default;

    public ConcurrentQueue<string> Payloads { get; } = new();

    public override string? Serialize(object? value)
    {
        var text = _inner.Serialize(value);
        if (text is not null)
            Payloads.Enqueue(text);
        return text;
    }

    public override object? Deserialize(string? data, Type targetType) => _inner.Deserialize(data, targetType);
}

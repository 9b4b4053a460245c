namespace Rotation.Infra.Kubernetes.Tests.Support;

/// <summary>Waits for simulated controllers to catch up: polls a condition until it holds or a deadline passes.</summary>
public static class Eventually
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
                return value;
            await Task.Delay(25);
        }
    }

    public static Task UntilAsync(Func<bool> done, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(done()), d => d, timeout);
}

using Microsoft.DurableTask;

namespace Rotation.Functions.Orchestrations;

/// <summary>
/// Which activity failures are worth retrying: the network and the storage service having a bad moment. Domain
/// errors (a missing CA, an inconsistent store, a refused step) are not: retrying them changes nothing.
/// </summary>
public static class TransientFailures
{
    /// <summary>Exception types by name, for services whose SDK types this project does not reference (Azure SDK 5xx/429).</summary>
    private static readonly HashSet<string> TransientTypeNames = new(StringComparer.Ordinal)
    {
        "Azure.RequestFailedException",
        "Microsoft.Data.Sqlite.SqliteException",
        "Grpc.Core.RpcException",
    };

    public static bool IsTransient(TaskFailureDetails failure)
    {
        for (var current = failure; current is not null; current = current.InnerFailure)
        {
            if (current.IsCausedBy<TimeoutException>()
                || current.IsCausedBy<HttpRequestException>()
                || current.IsCausedBy<IOException>()
                || current.IsCausedBy<TransientFailureException>()
                || TransientTypeNames.Contains(current.ErrorType))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Thrown by an adapter that knows a failure is temporary (throttled, service busy) and a retry may succeed.</summary>
public sealed class TransientFailureException : Exception
{
    public TransientFailureException() { }

    public TransientFailureException(string message) : base(message) { }

    public TransientFailureException(string message, Exception innerException) : base(message, innerException) { }
}

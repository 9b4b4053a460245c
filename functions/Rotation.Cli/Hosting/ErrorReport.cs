using System.Text.Json;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Cli;

/// <summary>Turns a failure into one line on stderr and an exit code. Stack traces are for bugs, not for operators.</summary>
public static class ErrorReport
{
    public static int Write(TextWriter error, Exception exception)
    {
        var (code, message) = Classify(exception);
        error.WriteLine($"error: {OneLine(message)}");
        return code;
    }

    /// <summary>The exit code and the one line <see cref="Write(TextWriter, Exception)"/> prints after "error: ".</summary>
    public static (int Code, string Line) Describe(Exception exception)
    {
        var (code, message) = Classify(exception);
        return (code, OneLine(message));
    }

    /// <summary>A usage message as the one line <see cref="WriteUsage"/> prints after "error: ".</summary>
    public static string Line(string message) => OneLine(message);

    public static int WriteUsage(TextWriter error, string message)
    {
        error.WriteLine($"error: {OneLine(message)}");
        return ExitCodes.Usage;
    }

    private static (int Code, string Message) Classify(Exception exception) => exception switch
    {
        UnsafeStepException unsafeStep => (ExitCodes.Unsafe, unsafeStep.Message),
        ApprovalRefusedException refused => (ExitCodes.Unsafe, refused.Message),
        UsageException usage => (ExitCodes.Usage, usage.Message),
        DomainException or PkiException or TargetUnavailableException => (ExitCodes.Error, exception.Message),
        IOException or UnauthorizedAccessException => (ExitCodes.Error, exception.Message),
        JsonException => (ExitCodes.Error, exception.Message),
        OperationCanceledException => (ExitCodes.Error, "cancelled: the command stopped before it finished; run it again"),
        _ => (ExitCodes.Error, $"internal error, please report it with the command you ran: {exception.Message}"),
    };

    private static string OneLine(string message)
    {
        var line = message.ReplaceLineEndings(" ").Trim();
        return line.Length > 0 ? line : "unknown failure";
    }
}

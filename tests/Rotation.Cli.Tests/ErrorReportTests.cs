using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Cli.Tests;

public sealed class ErrorReportTests
{
    public static TheoryData<Exception, int> Cases() => new()
    {
        { new UnsafeStepException("retiring the old root now would break prod-west"), ExitCodes.Unsafe },
        { new DomainException("trust domain 'x' already exists"), ExitCodes.Error },
        { new PkiException("bad pem"), ExitCodes.Error },
        { new TargetUnavailableException("prod/istio", "connection refused"), ExitCodes.Error },
        { new UsageException("--ttl: invalid duration"), ExitCodes.Usage },
        { new IOException("disk full"), ExitCodes.Error },
        { new InvalidOperationException("a bug\nwith a second line"), ExitCodes.Error },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_failure_is_one_error_line_and_its_exit_code(Exception exception, int expected)
    {
        using var error = new StringWriter();

        var code = ErrorReport.Write(error, exception);

        Assert.Equal(expected, code);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(exception.Message.Split('\n')[0], line);
    }
}

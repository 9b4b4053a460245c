namespace Rotation.Cli;

/// <summary>The process exit codes scripts and pipelines can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command failed: bad input, unknown domain, wrong passphrase, I/O error.</summary>
    public const int Error = 1;

    /// <summary>The command line itself is wrong: unknown command or option, missing or malformed value.</summary>
    public const int Usage = 2;

    /// <summary>Refused because the step would break a handshake somewhere (UnsafeStepException).</summary>
    public const int Unsafe = 3;

    /// <summary>verify: the input was read and the chain is not valid (a verdict, not a failure to run).</summary>
    public const int ChainInvalid = 4;

    /// <summary>drill: the run proves nothing because the machine starved the simulation (leaves renewed after expiry).</summary>
    public const int DrillInvalid = 5;
}

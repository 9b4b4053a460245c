namespace Rotation.Cli;

/// <summary>A command-line value the parser accepted but the command cannot use. Exit code 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}

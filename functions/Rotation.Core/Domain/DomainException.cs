namespace Rotation.Core.Domain;

/// <summary>A request the domain cannot carry out (unknown domain, domain exists, illegal transition). One-line message with what to do.</summary>
public class DomainException : Exception
{
    public DomainException(string message) : base(message) { }
    public DomainException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A step that would break a handshake somewhere. Hosts map this to exit code 3 / HTTP 409.</summary>
public sealed class UnsafeStepException : DomainException
{
    public UnsafeStepException(string message) : base(message) { }
}

/// <summary>An approval for a phase that is not waiting for one (no approval required, or an abort is unwinding). Exit code 3.</summary>
public sealed class ApprovalRefusedException : DomainException
{
    public ApprovalRefusedException(string message) : base(message) { }
}

/// <summary>Someone else changed the record first (optimistic concurrency). Re-read and retry.</summary>
public sealed class ConcurrencyConflictException : DomainException
{
    public ConcurrencyConflictException(string message) : base(message) { }
}

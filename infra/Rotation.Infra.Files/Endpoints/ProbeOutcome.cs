using Rotation.Core.Pki;

namespace Rotation.Infra.Files.Endpoints;

public enum ProbeVerdict
{
    /// <summary>The server accepted the client certificate.</summary>
    Accepted,

    /// <summary>The server said it does not accept the client certificate (a certificate TLS alert, nginx's "SSL certificate error").</summary>
    Refused,

    /// <summary>No TLS conversation: connection refused, no route, timeout, name not resolved.</summary>
    Unreachable,

    /// <summary>The server answered, but not in a way that says whether it trusts the certificate (a 5xx, a non-certificate alert, a close).</summary>
    Inconclusive,
}

/// <summary>One probe: the verdict, what the server said, and the chain it served (leaf first) when the handshake got that far.</summary>
public sealed record ProbeOutcome(ProbeVerdict Verdict, string Detail, Certificate? ServedLeaf, IReadOnlyList<Certificate> ServedIntermediates);

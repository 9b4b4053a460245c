namespace Rotation.Core.Pki;

/// <summary>What to mint. Validity comes from the caller (which owns the clock).</summary>
public sealed record RootCaRequest(string SubjectDn, DateTimeOffset NotBefore, DateTimeOffset NotAfter, int? PathLength = null);

public sealed record IntermediateCaRequest(string SubjectDn, DateTimeOffset NotBefore, DateTimeOffset NotAfter, int PathLength = 0);

/// <summary>A workload leaf: serverAuth + clientAuth EKU, DNS and SPIFFE URI SANs.</summary>
public sealed record LeafRequest(
    string SubjectDn,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    IReadOnlyList<string> DnsNames,
    IReadOnlyList<string> UriNames);

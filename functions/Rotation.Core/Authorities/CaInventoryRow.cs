using Rotation.Core.Domain;
using Rotation.Core.Expiry;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities;

/// <summary>One CA as an operator sees it at a given instant: what it is, and how close it is to expiry.</summary>
public sealed record CaInventoryRow(
    string Domain,
    string Id,
    CaRole Role,
    CaStatus Status,
    string Subject,
    string Issuer,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    TimeSpan TimeLeft,
    double LifetimeLeftPercent,
    ExpiryState ExpiryState,
    bool RotationDue,
    string Sha256,
    string KeyAlgorithm,
    IReadOnlyList<StrictDeviation> StrictDeviations);

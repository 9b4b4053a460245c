namespace Rotation.Core.Domain;

/// <summary>
/// A workload leaf Rotation issued itself (<c>rotation issue-leaf</c>). No target can show these leaves (they live in
/// files outside the mesh), so the record is the evidence the leaf gate holds on: while one is live under the old
/// CA, retiring that CA would break whoever presents it. <see cref="ForgottenAt"/> is the operator's explicit
/// "this leaf is no longer in use" (<c>rotation leaf forget SERIAL</c>); the record stays for audit.
/// </summary>
public sealed record IssuedLeaf(
    string Domain,
    string Serial,
    string Subject,
    IReadOnlyList<string> SubjectAlternativeNames,
    string IssuerId,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string OutputPath,
    DateTimeOffset IssuedAt,
    DateTimeOffset? ForgottenAt = null,
    string? ForgottenBy = null,
    long Version = 0)
{
    /// <summary>Still presentable at <paramref name="now"/>: not expired and not forgotten.</summary>
    public bool IsLiveAt(DateTimeOffset now) => ForgottenAt is null && NotAfter > now;
}

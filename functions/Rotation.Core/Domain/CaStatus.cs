namespace Rotation.Core.Domain;

/// <summary>
/// prepared: minted, trusted nowhere yet or only being distributed; active: the root everyone trusts or the
/// intermediate that issues; retiring: still trusted while leaves move off it; retired: gone from every store.
/// </summary>
public enum CaStatus
{
    Prepared,
    Active,
    Retiring,
    Retired,
}

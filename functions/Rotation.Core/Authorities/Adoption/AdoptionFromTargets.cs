using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Core.Authorities.Adoption;

/// <summary>Turns what a cluster's targets hold now (<see cref="IRotationTarget.ReadContentAsync"/>) into an <see cref="AdoptionSource"/>.</summary>
public static class AdoptionFromTargets
{
    public static AdoptionSource From(string cluster, IReadOnlyList<TargetContent> contents)
    {
        var origin = $"cluster '{cluster}'";
        var trust = contents.SelectMany(c => c.Trust).ToList();
        var unreadable = trust.FirstOrDefault(t => t.Roots is null && !(t.MayBeAbsent && t.Problem == "absent"));
        if (unreadable is not null)
            throw new DomainException($"{origin}: {unreadable.Location} is {unreadable.Problem}: there is no trust bundle to adopt there; fix the object first");
        var sets = trust.Where(t => t.Roots is not null).ToList();
        if (sets.Count == 0)
            throw new DomainException($"{origin} holds no trust bundle in its targets: nothing to adopt");
        var first = sets[0];
        var disagreeing = sets.FirstOrDefault(s => !s.Roots!.Select(r => r.Sha256).ToHashSet().SetEquals(first.Roots!.Select(r => r.Sha256)));
        if (disagreeing is not null)
            throw new DomainException($"{origin}: {first.Location} and {disagreeing.Location} hold different roots: make them agree (the same bundle everywhere), then adopt");

        var issuers = contents.Where(c => c.Issuer is not null).Select(c => c.Issuer!).ToList();
        if (issuers.Count == 0)
            throw new DomainException($"{origin} has no target that issues (istio, linkerd, cert-manager, or files without issuer=none): adopt from files with --from-dir instead");
        var missing = issuers.FirstOrDefault(i => i.Certificate is null);
        if (missing is not null)
            throw new DomainException($"{origin}: {missing.Location} is {missing.Problem}: there is no issuer to adopt there");
        var issuer = issuers[0];
        var other = issuers.FirstOrDefault(i => !i.Certificate!.Equals(issuer.Certificate));
        if (other is not null)
            throw new DomainException($"{origin}: {issuer.Location} and {other.Location} issue from different CAs: a domain has one issuer; make them agree, then adopt");
        var key = issuers.Select(i => i.Key).FirstOrDefault(k => k is not null)
            ?? throw new DomainException($"{origin}: {issuer.Location} holds no readable private key for its issuer: adopt from files with --from-dir, with the issuer key");

        return new AdoptionSource(origin, first.Roots!, null, issuer.Certificate!, key, issuer.Chain!.Skip(1).ToList());
    }
}

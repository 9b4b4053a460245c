using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Core.Authorities.Adoption;

/// <summary>
/// `rotation adopt`: brings an existing CA (files in a mesh's layout, or what a registered cluster holds) under
/// management, so that inventory, scan and both rotations work on it exactly as on a domain made by `init`. Every check
/// runs before anything is written; a refusal changes nothing. Keys are imported into the custody (a root's as
/// non-exportable: it signs there and never leaves again).
/// </summary>
public sealed class AdoptionService(IStateStore store, IKeyCustody custody, TimeProvider time)
{
    private const string AdoptOperation = "adopt";

    public async Task<AdoptionResult> AdoptAsync(string domain, AdoptionSource source, CancellationToken cancellationToken = default)
    {
        TrustDomainNames.Validate(domain);
        var now = time.GetUtcNow();
        var (issuingRoot, checkWarnings) = AdoptionChecks.Run(source, now);
        var warnings = checkWarnings.ToList();
        var roots = new[] { issuingRoot }.Concat(source.Roots.Where(r => !r.Equals(issuingRoot))).ToList();

        var existing = await store.FindDomainAsync(domain, cancellationToken);
        var current = existing is null ? [] : await store.ListAuthoritiesAsync(domain, cancellationToken);
        await EnsureHeldByNoOtherDomainAsync(domain, [.. roots, source.Intermediate], cancellationToken);
        if (existing is not null)
        {
            var active = (await store.ListRotationsAsync(domain, cancellationToken)).FirstOrDefault(r => r.IsActive);
            if (active is not null)
                throw new DomainException($"trust domain '{domain}' has an active rotation '{active.Id}' ({active.CurrentPhase}): finish or abort it before adopting");
        }

        var rootId = CaIds.For(CaRole.Root, issuingRoot);
        var intermediateId = CaIds.For(CaRole.Intermediate, source.Intermediate);
        var wanted = new List<(string Id, CaRole Role, CaStatus Status, string? Parent, Certificate Certificate)>
        {
            (rootId, CaRole.Root, CaStatus.Active, null, issuingRoot),
            (intermediateId, CaRole.Intermediate, CaStatus.Active, rootId, source.Intermediate),
        };
        // Further roots of the bundle stay trusted beside the issuing root (retiring: trusted, issuing nothing).
        wanted.AddRange(roots.Skip(1).Select(r => (CaIds.For(CaRole.Root, r), CaRole.Root, CaStatus.Retiring, (string?)null, r)));

        if (wanted.All(w => current.Any(c => c.Id == w.Id && c.Status == w.Status))
            && current.Where(c => c.Status != CaStatus.Retired).All(c => wanted.Any(w => w.Id == c.Id)))
        {
            return new AdoptionResult(new CaInventory(domain, current), [.. warnings, $"trust domain '{domain}' already holds exactly this CA: nothing changed"], [], false);
        }

        await CustodyChecks.ProveOpensExistingKeysAsync(store, custody, cancellationToken);
        var intermediateKey = (await custody.ImportKeyAsync(
            new CustodyKeyRequest(CaIds.KeyName(domain, intermediateId), source.IntermediateKey.Algorithm, Exportable: true, AdoptOperation, domain, CaRole.Intermediate),
            source.IntermediateKey,
            [source.Intermediate, issuingRoot],
            cancellationToken)).Reference;
        var rootKey = source.RootKey is { } key
            ? (await custody.ImportKeyAsync(
                new CustodyKeyRequest(CaIds.KeyName(domain, rootId), key.Algorithm, Exportable: false, AdoptOperation, domain, CaRole.Root),
                key,
                [issuingRoot],
                cancellationToken)).Reference
            : AbsentKeys.For(domain, rootId);
        if (source.RootKey is null)
            warnings.Add($"root {rootId} is adopted without its private key: a root rotation works (the new root needs no old key); an intermediate rotation is refused until the root is rotated");

        var changes = new List<CertificateAuthority>();
        foreach (var (id, role, status, parent, certificate) in wanted)
        {
            var reference = id == rootId ? rootKey : id == intermediateId ? intermediateKey : AbsentKeys.For(domain, id);
            var stored = current.FirstOrDefault(c => c.Id == id);
            changes.Add(stored is null
                ? new CertificateAuthority(id, domain, role, status, parent, certificate, reference)
                : stored with { Status = status, ParentId = parent, Key = reference });
        }

        var retired = current
            .Where(c => c.Status != CaStatus.Retired && wanted.All(w => w.Id != c.Id))
            .Select(c => c.WithStatus(CaStatus.Retired))
            .ToList();
        if (retired.Count > 0)
            warnings.Add($"trust domain '{domain}' held other CAs ({string.Join(", ", retired.Select(r => r.Id))}): they are retired; a cluster that still holds them is refused by the drift gate until it holds the adopted CA");

        // The CAs adoption replaces sign nothing from now on: their keys are retired in custody before the store says
        // so (repeatable, as for a rotation's retirements), and a key held outside this custody is left alone.
        await RetiredCaKeys.RetireAsync(custody, current, retired, cancellationToken);
        await store.CommitAsync(new ChangeSet
        {
            Domain = existing is null ? new TrustDomain(domain, now, source.Intermediate.KeyAlgorithm) : null,
            Authorities = [.. changes, .. retired],
        }, cancellationToken);

        return new AdoptionResult(new CaInventory(domain, await store.ListAuthoritiesAsync(domain, cancellationToken)), warnings, retired, existing is null);
    }

    private async Task EnsureHeldByNoOtherDomainAsync(string domain, IReadOnlyList<Certificate> certificates, CancellationToken cancellationToken)
    {
        foreach (var other in (await store.ListDomainsAsync(cancellationToken)).Where(d => d.Name != domain))
        {
            var held = (await store.ListAuthoritiesAsync(other.Name, cancellationToken))
                .FirstOrDefault(a => a.Status != CaStatus.Retired && certificates.Any(c => c.Sha256 == a.Sha256));
            if (held is not null)
                throw new DomainException($"'{held.Subject}' (sha256:{held.Sha256}) is already held by trust domain '{other.Name}' as {held.Id}: a CA belongs to one domain; rotate it there, or adopt it into '{other.Name}'");
        }
    }
}

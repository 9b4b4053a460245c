using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Core.Authorities;

/// <summary>
/// The CA use-cases of a platform engineer outside a rotation: create a trust domain's hierarchy, look at it,
/// scan it for expiry, and hand its material to a mesh. Every state change is one <see cref="ChangeSet"/>.
/// </summary>
public sealed partial class CaService
{
    private readonly IStateStore _store;
    private readonly IKeyVault _vault;
    private readonly TimeProvider _time;

    public CaService(IStateStore store, IKeyVault vault, TimeProvider time)
    {
        _store = store;
        _vault = vault;
        _time = time;
    }

    /// <summary>
    /// Mints a root and an intermediate (pathLen 0) for a new trust domain and commits the domain and both CAs
    /// together. Keys go to the vault first: if the commit then fails, the vault holds orphaned keys that no
    /// record points at, which is harmless; the store never holds a CA whose key is missing.
    /// </summary>
    public async Task<CaInventory> InitAsync(
        string domain,
        KeyAlgorithm algorithm,
        TimeSpan rootValidity,
        TimeSpan intermediateValidity,
        TimeSpan? backdate = null,
        CancellationToken cancellationToken = default)
    {
        TrustDomainNames.Validate(domain);
        var now = TruncateToSeconds(_time.GetUtcNow());
        ValidateValidity(now, rootValidity, intermediateValidity);
        InitChecks.RefuseCertainlyWrong(rootValidity, intermediateValidity);
        var notBefore = now - Backdating.Validate(backdate);

        if (await _store.FindDomainAsync(domain, cancellationToken) is not null)
        {
            throw new DomainException($"trust domain '{domain}' already exists: inspect it with 'rotation inventory --domain {domain}' or choose another name");
        }

        await ProveVaultOpensExistingKeysAsync(cancellationToken);

        var rootKey = PrivateKey.Generate(algorithm);
        var rootCertificate = CertificateFactory.CreateRoot(
            new RootCaRequest(CaSubjects.Root(domain, $"{now:yyyy-MM-dd}"), notBefore, now + rootValidity),
            rootKey);
        var root = await KeepAsync(domain, CaRole.Root, rootCertificate, rootKey, parentId: null, cancellationToken);

        var intermediateKey = PrivateKey.Generate(algorithm);
        var intermediateCertificate = CertificateFactory.CreateIntermediate(
            new IntermediateCaRequest(CaSubjects.Intermediate(domain, $"{now:yyyy-MM-dd}"), notBefore, now + intermediateValidity, PathLength: 0),
            intermediateKey,
            new CertificateWithKey(rootCertificate, rootKey));
        var intermediate = await KeepAsync(domain, CaRole.Intermediate, intermediateCertificate, intermediateKey, root.Id, cancellationToken);

        await _store.CommitAsync(
            new ChangeSet
            {
                Domain = new TrustDomain(domain, now, algorithm),
                Authorities = [root, intermediate],
            },
            cancellationToken);

        return new CaInventory(domain, [root, intermediate]);
    }

    private async Task<CertificateAuthority> KeepAsync(
        string domain,
        CaRole role,
        Certificate certificate,
        PrivateKey key,
        string? parentId,
        CancellationToken cancellationToken)
    {
        var id = CaIds.For(role, certificate);
        var reference = await _vault.StoreAsync(CaIds.KeyName(domain, id), key, cancellationToken);
        return new CertificateAuthority(id, domain, role, CaStatus.Active, parentId, certificate, reference);
    }

    /// <summary>
    /// A vault that accepted new keys under a different passphrase than its existing ones would leave a home that
    /// needs two secrets, found out only when a rotation needs the old key. Opening one existing key first turns a
    /// wrong passphrase into an error before anything is written.
    /// </summary>
    private async Task ProveVaultOpensExistingKeysAsync(CancellationToken cancellationToken)
    {
        foreach (var existing in await _store.ListDomainsAsync(cancellationToken))
        {
            var authority = (await _store.ListAuthoritiesAsync(existing.Name, cancellationToken))
                .FirstOrDefault(a => a.Status != CaStatus.Retired && a.Key.Provider == _vault.Provider);
            if (authority is not null)
            {
                _ = await _vault.LoadAsync(authority.Key, cancellationToken);
                return;
            }
        }
    }

    private async Task<CaInventory> LoadInventoryAsync(string domain, CancellationToken cancellationToken) =>
        new(domain, await _store.ListAuthoritiesAsync(domain, cancellationToken));

    private static void ValidateValidity(DateTimeOffset now, TimeSpan rootValidity, TimeSpan intermediateValidity)
    {
        if (rootValidity <= TimeSpan.Zero || intermediateValidity <= TimeSpan.Zero)
        {
            throw new DomainException("CA validity must be positive: use a duration such as 10y or 365d");
        }

        if (intermediateValidity > rootValidity)
        {
            throw new DomainException("the intermediate validity is longer than the root validity: an intermediate cannot outlive its root, shorten --intermediate-validity");
        }

        // X.509 GeneralizedTime ends at 9999; DateTimeOffset would overflow shortly after.
        if (DateTimeOffset.MaxValue - now < rootValidity + TimeSpan.FromDays(366))
        {
            throw new DomainException("the root validity reaches past the year 9999: use a shorter --root-validity");
        }
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}

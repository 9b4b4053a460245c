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
    /// <summary>The custody operation id of `init`: a retry after a failed commit resumes the same keys.</summary>
    private const string InitOperation = "init";

    private readonly IStateStore _store;
    private readonly IKeyCustody _custody;
    private readonly TimeProvider _time;

    public CaService(IStateStore store, IKeyCustody custody, TimeProvider time)
    {
        _store = store;
        _custody = custody;
        _time = time;
    }

    /// <summary>
    /// Mints a root and an intermediate (pathLen 0) for a new trust domain and commits the domain and both CAs
    /// together. The keys are made in custody first and the certificates signed there (the root key is created
    /// non-exportable and never enters this process; the intermediate's is exportable, a mesh needs it). If the commit
    /// then fails, a retry resumes the same keys and certificates (operation "init"); the store never holds a CA whose
    /// key is missing.
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

        await CustodyChecks.ProveOpensExistingKeysAsync(_store, _custody, cancellationToken);

        var stamp = $"{now:yyyy-MM-dd}";
        var rootKey = await CustodyAuthorities.CreateRootAsync(
            _custody,
            new CustodyKeyRequest(CaIds.KeyName(domain, "root-init"), algorithm, Exportable: false, InitOperation, domain, CaRole.Root),
            new RootCaRequest(CaSubjects.Root(domain, stamp), notBefore, now + rootValidity),
            cancellationToken);
        var root = Keep(domain, CaRole.Root, rootKey, parentId: null);

        var intermediateKey = await CustodyAuthorities.CreateIntermediateAsync(
            _custody,
            new CustodyKeyRequest(CaIds.KeyName(domain, "int-init"), algorithm, Exportable: true, InitOperation, domain, CaRole.Intermediate),
            new IntermediateCaRequest(CaSubjects.Intermediate(domain, stamp), notBefore, now + intermediateValidity, PathLength: 0),
            rootKey,
            cancellationToken);
        var intermediate = Keep(domain, CaRole.Intermediate, intermediateKey, root.Id);

        await _store.CommitAsync(
            new ChangeSet
            {
                Domain = new TrustDomain(domain, now, algorithm),
                Authorities = [root, intermediate],
            },
            cancellationToken);

        return new CaInventory(domain, [root, intermediate]);
    }

    private static CertificateAuthority Keep(string domain, CaRole role, CustodyKey key, string? parentId)
    {
        var certificate = key.Certificate ?? throw new PkiException($"key {key.Reference} has no certificate attached after creation: the custody is inconsistent");
        return new CertificateAuthority(CaIds.For(role, certificate), domain, role, CaStatus.Active, parentId, certificate, key.Reference);
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

using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities;

public sealed partial class CaService
{
    private const int MaxCommonNameLength = 64;

    /// <summary>
    /// Issues a workload leaf for <paramref name="spiffeId"/> from the active intermediate, for smoke tests and
    /// workloads outside the mesh. Everything is checked and the leaf signed before a file is written.
    /// </summary>
    public async Task<LeafFiles> IssueLeafAsync(
        string? domain,
        string spiffeId,
        IReadOnlyList<string> dnsNames,
        TimeSpan ttl,
        string outputDirectory,
        TimeSpan? backdate = null,
        CancellationToken cancellationToken = default)
    {
        var trustDomain = await DomainSelection.ResolveAsync(_store, domain, cancellationToken);
        SpiffeIds.Validate(spiffeId, trustDomain.Name);
        foreach (var dnsName in dnsNames)
        {
            ValidateDnsName(dnsName);
        }

        if (ttl <= TimeSpan.Zero)
        {
            throw new DomainException($"leaf TTL must be positive, not {ttl}: use a duration such as 24h");
        }

        var inventory = await LoadInventoryAsync(trustDomain.Name, cancellationToken);
        var intermediate = inventory.ActiveIntermediate;
        var now = TruncateToSeconds(_time.GetUtcNow());
        if (now + ttl > intermediate.NotAfter)
        {
            throw new DomainException($"a leaf valid for {ttl} would outlive the issuing intermediate '{intermediate.Id}' (expires {intermediate.NotAfter:u}): use a shorter --ttl or rotate the intermediate");
        }

        // Backdated like the CAs, but never before the issuer itself is valid.
        var notBefore = now - Backdating.Validate(backdate);
        notBefore = notBefore < intermediate.NotBefore ? intermediate.NotBefore : notBefore;
        // Signed by the intermediate's key in its custody: the issuer's private key never enters this process.
        var issuer = await _custody.GetKeyAsync(intermediate.Key, cancellationToken);
        var leafKey = PrivateKey.Generate(trustDomain.KeyAlgorithm);
        var leaf = await CertificateFactory.IssueLeafAsync(
            new LeafRequest($"CN={CommonNameFor(spiffeId, dnsNames)},O={CaSubjects.Organization(trustDomain.Name)}", notBefore, now + ttl, dnsNames, [spiffeId]),
            PublicKey.Of(leafKey),
            intermediate.Certificate,
            new Ports.CustodySigner(_custody, issuer),
            cancellationToken);

        var files = LeafFiles.In(outputDirectory);

        // Recorded before the files are written: a leaf on disk that the store does not know would let the leaf gate
        // retire its CA under it; a record without files only holds the gate until it is forgotten or expires.
        await _store.CommitAsync(new Ports.ChangeSet { IssuedLeaves = [RecordOf(trustDomain.Name, leaf, intermediate, files, now)] }, cancellationToken);
        await OutputFiles.WriteSecretAsync(files.Key, leafKey.ToPkcs8Pem(), cancellationToken);
        await OutputFiles.WritePublicAsync(files.Cert, leaf.ToPem(), cancellationToken);
        await OutputFiles.WritePublicAsync(files.Chain, Pem.WriteCertificates([leaf, intermediate.Certificate]), cancellationToken);
        await OutputFiles.WritePublicAsync(files.Bundle, TrustBundleOf(inventory).ToPem(), cancellationToken);
        return files;
    }

    private static IssuedLeaf RecordOf(string domain, Certificate leaf, CertificateAuthority issuer, LeafFiles files, DateTimeOffset now) => new(
        domain,
        leaf.SerialNumber,
        leaf.Subject,
        [.. leaf.DnsNames.Select(n => $"DNS:{n}"), .. leaf.UriNames.Select(u => $"URI:{u}")],
        issuer.Id,
        leaf.NotBefore,
        leaf.NotAfter,
        files.Cert,
        now);

    private static string CommonNameFor(string spiffeId, IReadOnlyList<string> dnsNames)
    {
        var name = dnsNames.Count > 0 ? dnsNames[0] : spiffeId[(spiffeId.LastIndexOf('/') + 1)..];
        return name.Length <= MaxCommonNameLength ? name : name[..MaxCommonNameLength];
    }

    private static void ValidateDnsName(string dnsName)
    {
        // A leading "*." wildcard is a legal SAN; the rest must be a DNS-like name.
        var name = dnsName.StartsWith("*.", StringComparison.Ordinal) ? dnsName[2..] : dnsName;
        try
        {
            TrustDomainNames.Validate(name.ToLowerInvariant());
        }
        catch (DomainException)
        {
            throw new DomainException($"invalid DNS name '{dnsName}': use letters, digits, '-' and dots, e.g. web.default.svc");
        }
    }
}

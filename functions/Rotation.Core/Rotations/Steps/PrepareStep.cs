using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Mints the new CAs (status prepared). Touches no target. Key names derive from the rotation id, so a re-run
/// after a crash between "key stored" and "record committed" reuses the stored key instead of minting an orphan.
/// </summary>
public sealed class PrepareStep(IKeyVault vault) : IPhaseStep
{
    // Backdated so that a peer whose clock runs a little behind still sees the new CA as valid.
    private static readonly TimeSpan ClockSkewAllowance = Backdating.Default;

    public async Task<PhaseOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var record = context.Record;
        var material = context.Material;
        var policy = record.Policy;
        var domain = record.Domain;
        var algorithm = material.OldRoot.KeyAlgorithm;
        var notBefore = context.Now - ClockSkewAllowance;
        var generation = CaIds.GenerationOf(record.Id);
        var minted = new List<CertificateAuthority>();

        CertificateAuthority parent = material.OldRoot;
        string? newRootId = null;
        if (record.Kind == RotationKind.Root)
        {
            newRootId = CaIds.Root(generation);
            var rootKey = await KeyAsync(domain, newRootId, algorithm, cancellationToken);
            var rootCert = CertificateFactory.CreateRoot(
                new RootCaRequest(Authorities.CaSubjects.Root(domain, generation), notBefore, context.Now + policy.RootValidity),
                rootKey.Key);
            parent = new CertificateAuthority(newRootId, domain, CaRole.Root, CaStatus.Prepared, null, rootCert, rootKey.Reference);
            minted.Add(parent);
        }

        var intermediateId = CaIds.Intermediate(generation);
        var intermediateKey = await KeyAsync(domain, intermediateId, algorithm, cancellationToken);
        var parentKey = await vault.LoadAsync(parent.Key, cancellationToken);
        var notAfter = Min(context.Now + policy.IntermediateValidity, parent.NotAfter);
        var intermediateCert = CertificateFactory.CreateIntermediate(
            new IntermediateCaRequest(Authorities.CaSubjects.Intermediate(domain, generation), Max(notBefore, parent.NotBefore), notAfter),
            intermediateKey.Key,
            CertificateWithKey.Create(parent.Certificate, parentKey));
        minted.Add(new CertificateAuthority(intermediateId, domain, CaRole.Intermediate, CaStatus.Prepared, parent.Id, intermediateCert, intermediateKey.Reference));

        return new PhaseOutcome.Done(
            new Dictionary<string, string>(),
            $"minted {string.Join(" and ", minted.Select(m => $"{m.Id} ({m.Subject}, until {m.NotAfter:u})"))}",
            minted,
            record.Authorities with { NewRootId = newRootId, NewIntermediateId = intermediateId });
    }

    private async Task<(PrivateKey Key, KeyReference Reference)> KeyAsync(string domain, string caId, KeyAlgorithm algorithm, CancellationToken cancellationToken)
    {
        var reference = new KeyReference(vault.Provider, $"{domain}-{caId}");
        if (await vault.ExistsAsync(reference, cancellationToken))
        {
            return (await vault.LoadAsync(reference, cancellationToken), reference);
        }

        var key = PrivateKey.Generate(algorithm);
        return (key, await vault.StoreAsync(reference.Name, key, cancellationToken));
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

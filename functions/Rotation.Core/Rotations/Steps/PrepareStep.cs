using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Mints the new CAs (status prepared) in the key custody. Touches no target. Key names derive from the rotation
/// id and the custody operation is the rotation id, so a re-run after a crash between "key made" and "record
/// committed" resumes the same key versions (and, once attached, returns their certificates: nothing is signed
/// twice) instead of minting orphans or a second version. The new root's key is non-exportable: it signs in custody
/// and never enters this process; the new intermediate's is exportable, because targets must hold it.
/// </summary>
public sealed class PrepareStep(IKeyCustody custody) : IPhaseStep
{
    // Backdated so that a peer whose clock runs a little behind still sees the new CA as valid.
    private static readonly TimeSpan ClockSkewAllowance = Backdating.Default;

    public async Task<PhaseRound> BeginAsync(StepContext context, CancellationToken cancellationToken) =>
        new PhaseRound.Finished(await MintAsync(context, cancellationToken));

    public Task<TargetPart> RunOnTargetAsync(StepContext context, IRotationTarget target, int round, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("Prepare touches no target");

    public PhaseRound Reduce(StepContext context, int round, IReadOnlyList<Evidence.TargetResult<TargetPart>> parts) =>
        throw new InvalidOperationException("Prepare touches no target");

    private async Task<PhaseOutcome> MintAsync(StepContext context, CancellationToken cancellationToken)
    {
        var record = context.Record;
        var material = context.Material;
        var policy = record.Policy;
        var domain = record.Domain;
        var algorithm = material.OldRoot.KeyAlgorithm;
        var notBefore = context.Now - ClockSkewAllowance;
        var generation = Authorities.CaIds.GenerationOf(record.Id);
        var minted = new List<CertificateAuthority>();

        CertificateAuthority parent = material.OldRoot;
        string? newRootId = null;
        CustodyKey parentKey;
        if (record.Kind == RotationKind.Root)
        {
            newRootId = Authorities.CaIds.RotationRoot(generation);
            parentKey = await Authorities.CustodyAuthorities.CreateRootAsync(
                custody,
                Request(record, newRootId, algorithm, CaRole.Root),
                new RootCaRequest(Authorities.CaSubjects.Root(domain, generation), notBefore, context.Now + policy.RootValidity),
                cancellationToken);
            parent = new CertificateAuthority(newRootId, domain, CaRole.Root, CaStatus.Prepared, null, Attached(parentKey), parentKey.Reference);
            minted.Add(parent);
        }
        else
        {
            // The old root signs the new intermediate in its custody; the store's certificate is its chain.
            parentKey = await custody.GetKeyAsync(parent.Key, cancellationToken);
        }

        var intermediateId = Authorities.CaIds.RotationIntermediate(generation);
        var notAfter = Min(context.Now + policy.IntermediateValidity, parent.NotAfter);
        var intermediateKey = await Authorities.CustodyAuthorities.CreateIntermediateAsync(
            custody,
            Request(record, intermediateId, algorithm, CaRole.Intermediate),
            new IntermediateCaRequest(Authorities.CaSubjects.Intermediate(domain, generation), Max(notBefore, parent.NotBefore), notAfter),
            parentKey,
            [parent.Certificate],
            cancellationToken);
        minted.Add(new CertificateAuthority(intermediateId, domain, CaRole.Intermediate, CaStatus.Prepared, parent.Id, Attached(intermediateKey), intermediateKey.Reference));

        return new PhaseOutcome.Done(
            PhaseOutcome.NoTargets,
            $"minted {string.Join(" and ", minted.Select(m => $"{m.Id} ({m.Subject}, until {m.NotAfter:u})"))}",
            minted,
            record.Authorities with { NewRootId = newRootId, NewIntermediateId = intermediateId });
    }

    private static CustodyKeyRequest Request(RotationRecord record, string caId, KeyAlgorithm algorithm, CaRole role) =>
        new(Authorities.CaIds.KeyName(record.Domain, caId), algorithm, Exportable: role != CaRole.Root, OperationId: record.Id, record.Domain, role);

    private static Certificate Attached(CustodyKey key) =>
        key.Certificate ?? throw new PkiException($"key {key.Reference} has no certificate attached after creation: the custody is inconsistent");

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

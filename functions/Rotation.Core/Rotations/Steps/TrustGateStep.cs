using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Gate: every trust store holds the required roots and none of the forbidden ones. Never skipped.
/// A re-check reads only the targets not yet seen satisfied in this phase: at 99 clusters a full read takes seconds,
/// which is how long a gate would sit after the last cluster settled. That weakens nothing downstream: SwitchIssuer
/// re-reads every trust store before it writes (<see cref="TargetChecks.RootTrustedAsync"/>), and after VerifyRetired
/// or VerifyNewTrustWithdrawn nothing is written that a store seen earlier in the phase could break.
/// </summary>
public sealed class TrustGateStep(
    Func<RotationMaterial, IReadOnlyList<CertificateAuthority>> required,
    Func<RotationMaterial, IReadOnlyList<CertificateAuthority>> forbidden) : IPhaseStep
{
    public Task<PhaseRound> BeginAsync(StepContext context, CancellationToken cancellationToken) =>
        Task.FromResult<PhaseRound>(new PhaseRound.Next(0, PhaseRounds.Pending(context)));

    public async Task<TargetPart> RunOnTargetAsync(StepContext context, IRotationTarget target, int round, CancellationToken cancellationToken)
    {
        var material = context.Material;
        var verdict = TrustEvidence.Judge(
            TargetResult.Ok(target.Name, await target.ReportTrustAsync(cancellationToken)),
            required(material).Select(a => a.Sha256).ToList(),
            forbidden(material).Select(a => a.Sha256).ToList(),
            material.Describe);
        return new TargetPart(verdict.Done, verdict.Detail);
    }

    public PhaseRound Reduce(StepContext context, int round, IReadOnlyList<TargetResult<TargetPart>> parts)
    {
        var perTarget = StepOutcomes.DoneEarlier(context);
        string? firstReason = null;
        foreach (var part in parts)
        {
            var verdict = part.Value is { } answer ? new TargetVerdict(answer.Done, answer.Detail) : TargetVerdict.NotYet($"unavailable: {part.Error}");
            perTarget[part.Target] = verdict;
            if (!verdict.Done)
            {
                firstReason ??= $"{part.Target}: {verdict.Detail}";
            }
        }

        return new PhaseRound.Finished(StepOutcomes.FromVerdict(new GateVerdict(firstReason is null, firstReason ?? TrustEvidence.Satisfied, perTarget)));
    }
}

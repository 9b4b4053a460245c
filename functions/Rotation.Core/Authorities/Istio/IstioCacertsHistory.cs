using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Authorities.Istio;

/// <summary>
/// What the Istio target has written to cacerts by now: the domain's rotations replayed, phase by phase, through the
/// same <see cref="IstioRootCertPlan"/> the target uses, so <c>rotation export istio</c> hands out the bytes istiod
/// holds (A+B after DistributeTrust, A+B+B after SwitchIssuer where istiod skips equal bytes, B after RetireOldRoot),
/// not the store's set of roots that are not retired. The writes of each phase are the ones
/// <see cref="Rotations.Steps.PhaseSteps"/> makes; a phase counts once its PhaseCompleted audit entry is recorded.
/// Replay starts from the bundle as export writes it outside a rotation: a cluster seeded from other bytes (an
/// adopted mesh) keeps its own bytes, which the target preserves and export cannot know.
/// </summary>
public static class IstioCacertsHistory
{
    /// <summary>The text of root-cert.pem and the intermediate that issues (ca-cert.pem, ca-key.pem, cert-chain.pem).</summary>
    public sealed record State(string RootCertText, CertificateAuthority Issuer);

    public static State Replay(CaInventory inventory, IEnumerable<RotationRecord> rotations, IstiodReloadRule rule, Func<CaInventory, TrustBundle> steadyBundle, IKeyCustody custody)
    {
        State? state = null;
        var ordered = rotations.Where(r => r.Domain == inventory.Domain)
            .OrderBy(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
        foreach (var rotation in ordered)
        {
            if (!Resolvable(rotation, inventory))
                continue;
            var material = new RotationMaterial(rotation, inventory, custody);
            if (state is null || !SameSet(state.RootCertText, material.OldOnly))
                state = new State(material.OldOnly.ToPem(), material.OldIntermediate);
            foreach (var phase in rotation.Audit.Where(a => a.Event == EventTypes.PhaseCompleted && a.Phase is not null).Select(a => a.Phase!.Value))
                state = Apply(state, phase, material, inventory, rule);
        }

        var last = ordered.LastOrDefault();
        if (state is null || (last?.IsActive != true && !Steady(state, inventory, steadyBundle)))
            return new State(steadyBundle(inventory).ToPem(), inventory.ActiveIntermediate);
        return state;
    }

    private static State Apply(State state, RotationPhase phase, RotationMaterial m, CaInventory inventory, IstiodReloadRule rule) => phase switch
    {
        RotationPhase.DistributeTrust => Bundle(state, m.Overlap, inventory, rule),
        RotationPhase.SwitchIssuer => Issuer(state, m.RequiredNewIntermediate, m.Overlap, inventory, rule),
        RotationPhase.RetireOldRoot => Bundle(state, m.NewOnly, inventory, rule),
        RotationPhase.RevertIssuer => Issuer(state, m.OldIntermediate, m.Overlap, inventory, rule),
        RotationPhase.WithdrawNewTrust => Bundle(state, m.OldOnly, inventory, rule),
        _ => state,
    };

    /// <summary>IstioPluginCaTarget.ApplyTrustBundleAsync: an equal set leaves the secret alone.</summary>
    private static State Bundle(State state, TrustBundle bundle, CaInventory inventory, IstiodReloadRule rule) =>
        SameSet(state.RootCertText, bundle)
            ? state
            : state with { RootCertText = IstioRootCertPlan.For(state.RootCertText, bundle, issuerChanges: false, RootOf(state.Issuer, inventory), rule).Text };

    /// <summary>IstioPluginCaTarget.ApplyIssuerAsync: the issuer files change, root-cert.pem per the plan.</summary>
    private static State Issuer(State state, CertificateAuthority issuer, TrustBundle bundle, CaInventory inventory, IstiodReloadRule rule)
    {
        var issuerChanges = issuer.Sha256 != state.Issuer.Sha256;
        if (!issuerChanges && SameSet(state.RootCertText, bundle))
            return state;
        return new State(IstioRootCertPlan.For(state.RootCertText, bundle, issuerChanges, RootOf(issuer, inventory), rule).Text, issuer);
    }

    private static bool Steady(State state, CaInventory inventory, Func<CaInventory, TrustBundle> steadyBundle) =>
        state.Issuer.Id == inventory.ActiveIntermediate.Id && SameSet(state.RootCertText, steadyBundle(inventory));

    private static bool SameSet(string text, TrustBundle bundle) =>
        PemBlocks.Of(text).Select(b => b.Certificate.Sha256).ToHashSet(StringComparer.Ordinal).SetEquals(bundle.Fingerprints);

    private static Certificate RootOf(CertificateAuthority issuer, CaInventory inventory) =>
        inventory.Find(issuer.ParentId ?? string.Empty)?.Certificate
        ?? throw new DomainException($"intermediate '{issuer.Id}' has no parent in the store: the store is inconsistent");

    /// <summary>A rotation whose CAs are gone from the store (or that never got past Prepare's minting) adds no writes.</summary>
    private static bool Resolvable(RotationRecord rotation, CaInventory inventory)
    {
        var ids = rotation.Authorities;
        return inventory.Find(ids.OldRootId) is not null && inventory.Find(ids.OldIntermediateId) is not null
            && (ids.NewRootId is null || inventory.Find(ids.NewRootId) is not null)
            && (ids.NewIntermediateId is null || inventory.Find(ids.NewIntermediateId) is not null);
    }
}

using Rotation.Core.Authorities.External;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Infra.Files;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>`rotation scan --cluster`: every certificate a registered cluster's targets hold or expose, with where it was read.</summary>
public sealed partial class ClusterRegistry
{
    /// <summary>
    /// What each target holds (<see cref="IRotationTarget.ReadContentAsync"/>: trust bundles, the issuer and its chain),
    /// the copies a control plane publishes (<see cref="IPublishesCertificates"/>: istio-ca-root-cert in every
    /// namespace) and the leaves a target can show (cert-manager Certificate secrets' tls.crt). An object that is
    /// absent (unless Rotation creates it itself) or unreadable is a problem line, not a failure; an unreachable cluster is a failure. Writes nothing.
    /// </summary>
    public async Task<(ClusterRegistration Cluster, IReadOnlyList<FoundCertificate> Found, IReadOnlyList<string> Problems)> ReadCertificatesAsync(
        string name, ClusterConnectionFactory factory, CancellationToken cancellationToken = default)
    {
        var cluster = await RequireAsync(name, cancellationToken);
        var found = new List<FoundCertificate>();
        var problems = new List<string>();
        if (cluster.Connection == ClusterConnectionKind.Host)
        {
            foreach (var spec in cluster.Targets)
            {
                using var target = new FilesTarget($"{cluster.Name}/{spec.Kind}", FilesTargetOptions.From(spec.Options), new StoreDomainMaterial(_store, cluster.Domain));
                Add(await target.ReadContentAsync(cancellationToken), found, problems);
            }

            return (cluster, found, problems);
        }

        using var connection = await factory.ConnectAsync(cluster, cancellationToken);
        foreach (var spec in cluster.Targets)
        {
            var target = TargetCatalog.Create(connection, spec);
            Add(await target.ReadContentAsync(cancellationToken), found, problems);
            if (target is IPublishesCertificates publisher)
            {
                foreach (var held in await publisher.ReadPublishedAsync(cancellationToken))
                    AddHeld(held, found, problems);
            }

            try
            {
                var leaves = await target.ReportLeavesAsync(cancellationToken);
                foreach (var leaf in leaves.Leaves)
                {
                    var location = leaf.Location.StartsWith("secret ", StringComparison.Ordinal) && !leaf.Location.Contains(" (", StringComparison.Ordinal)
                        ? $"{leaf.Location} tls.crt"
                        : leaf.Location;
                    found.Add(new FoundCertificate(location, leaf.Leaf));
                    found.AddRange(leaf.Intermediates.Select(c => new FoundCertificate(location, c)));
                }
            }
            catch (TargetUnavailableException ex)
            {
                problems.Add(ex.Reason);
            }
        }

        return (cluster, found, problems);
    }

    private static void Add(TargetContent content, List<FoundCertificate> found, List<string> problems)
    {
        foreach (var held in content.Trust)
            AddHeld(held, found, problems);
        if (content.Issuer is { } issuer)
        {
            if (issuer.Chain is { } chain)
                found.AddRange(chain.Select(c => new FoundCertificate(issuer.Location, c)));
            else if (issuer.Problem != "absent")
                problems.Add($"{issuer.Location} is {issuer.Problem}");
        }
    }

    private static void AddHeld(HeldRoots held, List<FoundCertificate> found, List<string> problems)
    {
        if (held.Roots is { } roots)
            found.AddRange(roots.Select(c => new FoundCertificate(held.Location, c)));
        else if (!held.MayBeAbsent || held.Problem != "absent")
            problems.Add($"{held.Location} is {held.Problem}");
    }
}

using System.Text.Json;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using S = Rotation.Testing.StateStores.StoreSamples;

namespace Rotation.Testing.StateStores;

/// <summary>
/// The <see cref="IStateStore"/> contract, written once and run against every implementation (SQLite, Table Storage,
/// the in-memory test store). A derived class supplies a fresh, empty store per test and, where the store is shared by
/// several processes, a second client on the same state.
/// </summary>
public abstract class StateStoreContract : IAsyncLifetime
{
    private IStateStore? _store;

    protected IStateStore Store => _store ?? throw new InvalidOperationException("the store is created in InitializeAsync");

    /// <summary>A new, empty store for one test.</summary>
    protected abstract Task<IStateStore> CreateStoreAsync();

    /// <summary>Another client on the same state (another process); the same instance where there is only one.</summary>
    protected virtual IStateStore OpenAnother() => Store;

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private Task CreateDomainAsync(string name = S.DomainName) => Store.CommitAsync(new ChangeSet { Domain = S.Domain(name) });

    // ---- trust domains ----

    [Fact]
    public async Task Contract_an_inserted_domain_reads_back_exactly_with_version_1()
    {
        await CreateDomainAsync();

        var read = await Store.FindDomainAsync(S.DomainName);

        Assert.Equal(S.Domain() with { Version = 1 }, read);
        Assert.Equal(S.Now.Offset, read!.CreatedAt.Offset);
        Assert.Null(await Store.FindDomainAsync("other.example"));
    }

    [Fact]
    public async Task Contract_domains_are_listed_by_name()
    {
        await CreateDomainAsync("b.example");
        await CreateDomainAsync("a.example");

        Assert.Equal(["a.example", "b.example"], (await Store.ListDomainsAsync()).Select(d => d.Name));
    }

    [Fact]
    public async Task Contract_a_duplicate_domain_is_refused_and_changes_nothing()
    {
        await CreateDomainAsync();

        var error = await Assert.ThrowsAsync<DomainException>(() =>
            Store.CommitAsync(new ChangeSet { Domain = S.Domain() with { KeyAlgorithm = KeyAlgorithm.Rsa2048 } }));

        Assert.Equal($"trust domain '{S.DomainName}' already exists: choose another name or use the existing one", error.Message);
        var stored = await Store.FindDomainAsync(S.DomainName);
        Assert.Equal(KeyAlgorithm.EcdsaP384, stored!.KeyAlgorithm);
        Assert.Equal(1, stored.Version);
    }

    [Fact]
    public async Task Contract_an_update_at_the_stored_version_bumps_it_and_a_stale_one_conflicts()
    {
        await CreateDomainAsync();
        var v1 = (await Store.FindDomainAsync(S.DomainName))!;

        await Store.CommitAsync(new ChangeSet { Domain = v1 with { KeyAlgorithm = KeyAlgorithm.Rsa4096 } });
        var v2 = (await Store.FindDomainAsync(S.DomainName))!;
        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            Store.CommitAsync(new ChangeSet { Domain = v1 with { KeyAlgorithm = KeyAlgorithm.Rsa2048 } }));

        Assert.Equal(2, v2.Version);
        Assert.Equal(KeyAlgorithm.Rsa4096, v2.KeyAlgorithm);
        Assert.Equal($"trust domain '{S.DomainName}' was changed by someone else (stored version 2, yours 1): re-read it and retry", stale.Message);
        Assert.Equal(KeyAlgorithm.Rsa4096, (await Store.FindDomainAsync(S.DomainName))!.KeyAlgorithm);
    }

    [Fact]
    public async Task Contract_updating_something_that_is_not_there_is_a_conflict()
    {
        var error = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            Store.CommitAsync(new ChangeSet { Domain = S.Domain() with { Version = 3 } }));

        Assert.Equal($"trust domain '{S.DomainName}' does not exist (yours is version 3): re-read it and retry", error.Message);
        Assert.Empty(await Store.ListDomainsAsync());
    }

    // ---- authorities ----

    [Fact]
    public async Task Contract_authorities_round_trip_in_creation_order()
    {
        await Store.CommitAsync(new ChangeSet { Domain = S.Domain(), Authorities = [S.Root(), S.Intermediate()] });
        await Store.CommitAsync(new ChangeSet { Authorities = [S.Intermediate(id: "a-later")] });

        var authorities = await Store.ListAuthoritiesAsync(S.DomainName);

        Assert.Equal(["root-1", "intermediate-1", "a-later"], authorities.Select(a => a.Id));
        Assert.Equal(S.Root() with { Version = 1 }, authorities[0]);
        Assert.Equal(S.Intermediate() with { Version = 1 }, authorities[1]);
        Assert.Equal(S.IntermediateCertificate.Sha256, authorities[1].Certificate.Sha256);
        Assert.Empty(await Store.ListAuthoritiesAsync("other.example"));
    }

    [Fact]
    public async Task Contract_a_key_reference_keeps_its_version_through_updates_and_an_unversioned_one_stays_unversioned()
    {
        // Key Vault makes a new version whenever a key is made under an existing name: the CA must keep naming its own.
        var versioned = S.Intermediate() with { Key = new KeyReference("keyvault", "mesh-int-g2", "0f3c9a41b2d84e6f") };
        await Store.CommitAsync(new ChangeSet { Domain = S.Domain(), Authorities = [S.Root(), versioned] });

        var read = await Store.ListAuthoritiesAsync(S.DomainName);
        Assert.Null(read[0].Key.Version);
        Assert.Equal(versioned.Key, read[1].Key);

        await Store.CommitAsync(new ChangeSet { Authorities = [read[1].WithStatus(CaStatus.Active)] });
        Assert.Equal("0f3c9a41b2d84e6f", (await Store.ListAuthoritiesAsync(S.DomainName))[1].Key.Version);
    }

    [Fact]
    public async Task Contract_an_authority_status_change_is_versioned()
    {
        await Store.CommitAsync(new ChangeSet { Domain = S.Domain(), Authorities = [S.Intermediate()] });
        var prepared = (await Store.ListAuthoritiesAsync(S.DomainName)).Single();

        await Store.CommitAsync(new ChangeSet { Authorities = [prepared.WithStatus(CaStatus.Active)] });
        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            Store.CommitAsync(new ChangeSet { Authorities = [prepared.WithStatus(CaStatus.Retired)] }));

        var active = (await Store.ListAuthoritiesAsync(S.DomainName)).Single();
        Assert.Equal(CaStatus.Active, active.Status);
        Assert.Equal(2, active.Version);
        Assert.Equal("CA 'intermediate-1' was changed by someone else (stored version 2, yours 1): re-read it and retry", conflict.Message);
    }

    [Fact]
    public async Task Contract_a_duplicate_authority_is_refused()
    {
        await Store.CommitAsync(new ChangeSet { Domain = S.Domain(), Authorities = [S.Root()] });

        var error = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { Authorities = [S.Root()] }));

        Assert.Equal($"CA 'root-1' already exists in trust domain '{S.DomainName}': re-read the inventory instead of creating it again", error.Message);
    }

    [Fact]
    public async Task Contract_an_authority_of_an_unknown_domain_is_refused_with_what_to_do()
    {
        var error = await Assert.ThrowsAsync<DomainException>(() =>
            Store.CommitAsync(new ChangeSet { Authorities = [S.Root("nowhere.example")], Events = [S.Event("e1")] }));

        Assert.Equal("trust domain 'nowhere.example' does not exist: create it with 'rotation init' first", error.Message);
        Assert.Empty(await Store.ListAuthoritiesAsync("nowhere.example"));
        Assert.Empty(await Store.ReadOutboxAsync());
    }

    // ---- clusters ----

    [Fact]
    public async Task Contract_clusters_are_listed_by_name_and_filtered_by_domain()
    {
        await CreateDomainAsync();
        await CreateDomainAsync("other.example");
        await Store.CommitAsync(new ChangeSet { Clusters = [S.Cluster("west"), S.Cluster("east")] });
        await Store.CommitAsync(new ChangeSet { Clusters = [S.Cluster("lab", "other.example")] });

        Assert.Equal(["east", "lab", "west"], (await Store.ListClustersAsync()).Select(c => c.Name));
        Assert.Equal(["east", "west"], (await Store.ListClustersAsync(S.DomainName)).Select(c => c.Name));
        var lab = (await Store.ListClustersAsync("other.example")).Single();
        Assert.Equal(1, lab.Version);
        Assert.Equal("istio-system", lab.Targets.Single().Options["namespace"]);
        Assert.Equal(S.Now, lab.RegisteredAt);
    }

    [Fact]
    public async Task Contract_a_cluster_update_is_versioned_and_a_duplicate_is_refused()
    {
        await Store.CommitAsync(new ChangeSet { Domain = S.Domain(), Clusters = [S.Cluster("west")] });
        var v1 = (await Store.ListClustersAsync()).Single();

        await Store.CommitAsync(new ChangeSet { Clusters = [v1 with { Context = "prod-west-2" }] });
        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Store.CommitAsync(new ChangeSet { Clusters = [v1] }));
        var duplicate = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { Clusters = [S.Cluster("west")] }));

        var v2 = (await Store.ListClustersAsync()).Single();
        Assert.Equal(2, v2.Version);
        Assert.Equal("prod-west-2", v2.Context);
        Assert.Equal("cluster 'west' was changed by someone else (stored version 2, yours 1): re-read it and retry", stale.Message);
        Assert.Equal("cluster 'west' is already registered: choose another name or update the existing registration", duplicate.Message);
    }

    [Fact]
    public async Task Contract_a_cluster_is_removed_only_at_its_stored_version()
    {
        await Store.CommitAsync(new ChangeSet { Domain = S.Domain(), Clusters = [S.Cluster("west")] });
        var v1 = (await Store.ListClustersAsync()).Single();
        await Store.CommitAsync(new ChangeSet { Clusters = [v1 with { Context = "changed" }] });

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Store.CommitAsync(new ChangeSet { RemovedClusters = [v1] }));
        Assert.Single(await Store.ListClustersAsync());

        var v2 = (await Store.ListClustersAsync()).Single();
        await Store.CommitAsync(new ChangeSet { RemovedClusters = [v2] });
        Assert.Empty(await Store.ListClustersAsync());
    }

    [Fact]
    public async Task Contract_a_cluster_of_an_unknown_domain_is_refused()
    {
        var error = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { Clusters = [S.Cluster("west", "nowhere.example")] }));

        Assert.Equal("trust domain 'nowhere.example' does not exist: create it with 'rotation init' first", error.Message);
        Assert.Empty(await Store.ListClustersAsync());
    }

    // ---- issued leaves ----

    [Fact]
    public async Task Contract_issued_leaves_round_trip_per_domain_in_serial_order()
    {
        await CreateDomainAsync();
        await CreateDomainAsync("other.example");
        await Store.CommitAsync(new ChangeSet { IssuedLeaves = [S.Leaf("0b"), S.Leaf("0a")] });
        await Store.CommitAsync(new ChangeSet { IssuedLeaves = [S.Leaf("0c", "other.example")] });

        var leaves = await Store.ListIssuedLeavesAsync(S.DomainName);
        Assert.Equal(["0a", "0b"], leaves.Select(l => l.Serial));
        var leaf = leaves[0];
        Assert.Equal(1, leaf.Version);
        var expected = S.Leaf("0a") with { Version = 1 };
        Assert.Equal(expected, leaf with { SubjectAlternativeNames = expected.SubjectAlternativeNames });
        Assert.Equal(expected.SubjectAlternativeNames, leaf.SubjectAlternativeNames);
        Assert.Equal(S.Now.AddHours(72).Offset, leaf.NotAfter.Offset);
        Assert.Equal(["0c"], (await Store.ListIssuedLeavesAsync("other.example")).Select(l => l.Serial));
        Assert.Empty(await Store.ListIssuedLeavesAsync("nowhere.example"));
    }

    [Fact]
    public async Task Contract_forgetting_a_leaf_is_versioned_and_a_duplicate_serial_is_refused()
    {
        await Store.CommitAsync(new ChangeSet { Domain = S.Domain(), IssuedLeaves = [S.Leaf("0a")] });
        var v1 = (await Store.ListIssuedLeavesAsync(S.DomainName)).Single();

        await Store.CommitAsync(new ChangeSet { IssuedLeaves = [v1 with { ForgottenAt = S.Now.AddHours(1), ForgottenBy = "ops@host" }] });
        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Store.CommitAsync(new ChangeSet { IssuedLeaves = [v1] }));
        var duplicate = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { IssuedLeaves = [S.Leaf("0a")] }));

        var v2 = (await Store.ListIssuedLeavesAsync(S.DomainName)).Single();
        Assert.Equal((2L, (DateTimeOffset?)S.Now.AddHours(1), "ops@host"), (v2.Version, v2.ForgottenAt, v2.ForgottenBy));
        Assert.False(v2.IsLiveAt(S.Now));
        Assert.Equal("issued leaf '0a' was changed by someone else (stored version 2, yours 1): re-read it and retry", stale.Message);
        Assert.Equal("issued leaf '0a' is already recorded in trust domain 'mesh.example.internal'", duplicate.Message);
    }

    [Fact]
    public async Task Contract_a_leaf_of_an_unknown_domain_is_refused()
    {
        var error = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { IssuedLeaves = [S.Leaf("0a", "nowhere.example")] }));

        Assert.Equal("trust domain 'nowhere.example' does not exist: create it with 'rotation init' first", error.Message);
    }

    // ---- rotations ----

    [Fact]
    public async Task Contract_a_rotation_reads_back_with_its_stored_version()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1") });

        var read = await Store.FindRotationAsync("r1");

        Assert.NotNull(read);
        Assert.Equal(1, read.Version);
        Assert.Equal(S.Now, read.CreatedAt);
        Assert.Equal(S.Now.Offset, read.CreatedAt.Offset);
        Assert.Equal(RotationPlans.For(RotationKind.Root), read.Plan);
        Assert.Equal(S.Rotation("r1").Authorities, read.Authorities);
        Assert.Null(await Store.FindRotationAsync("r2"));
    }

    [Fact]
    public async Task Contract_each_rotation_update_bumps_the_version_and_a_stale_writer_conflicts()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1") });
        var v1 = (await Store.FindRotationAsync("r1"))!;

        await Store.CommitAsync(new ChangeSet { Rotation = v1 with { PhaseIndex = 1 } });
        var v2 = (await Store.FindRotationAsync("r1"))!;
        await Store.CommitAsync(new ChangeSet { Rotation = v2 with { PhaseIndex = 2 } });
        var error = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            Store.CommitAsync(new ChangeSet { Rotation = v1 with { PhaseIndex = 5 } }));

        var v3 = (await Store.FindRotationAsync("r1"))!;
        Assert.Equal(3, v3.Version);
        Assert.Equal(2, v3.PhaseIndex);
        Assert.Equal("rotation 'r1' was changed by someone else (stored version 3, yours 1): re-read it and retry", error.Message);
    }

    [Fact]
    public async Task Contract_a_second_active_rotation_in_a_domain_is_refused_naming_the_first()
    {
        await CreateDomainAsync();
        await CreateDomainAsync("other.example");
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1") });

        var error = await Assert.ThrowsAsync<DomainException>(() =>
            Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r2"), Events = [S.Event("started-r2")] }));
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r3", "other.example") });

        Assert.Equal($"trust domain '{S.DomainName}' already has an active rotation 'r1': resume or abort it first", error.Message);
        Assert.Null(await Store.FindRotationAsync("r2"));
        Assert.Empty(await Store.ReadOutboxAsync());
        Assert.NotNull(await Store.FindRotationAsync("r3"));
    }

    [Fact]
    public async Task Contract_once_the_active_rotation_finishes_a_new_one_may_start_and_the_old_one_may_not_revive()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1") });
        var r1 = (await Store.FindRotationAsync("r1"))!;
        await Store.CommitAsync(new ChangeSet { Rotation = r1 with { Status = RotationStatus.Completed, FinishedAt = S.Now.AddHours(30) } });

        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r2") with { CreatedAt = S.Now.AddDays(1) } });

        var all = await Store.ListRotationsAsync(S.DomainName);
        Assert.Equal(["r1", "r2"], all.Select(r => r.Id));
        Assert.Equal([false, true], all.Select(r => r.IsActive));
        var revive = await Assert.ThrowsAsync<DomainException>(() =>
            Store.CommitAsync(new ChangeSet { Rotation = all[0] with { Status = RotationStatus.Running } }));
        Assert.Equal($"trust domain '{S.DomainName}' already has an active rotation 'r2': resume or abort it first", revive.Message);
    }

    [Fact]
    public async Task Contract_an_active_rotation_keeps_its_claim_across_updates()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1") });
        var v1 = (await Store.FindRotationAsync("r1"))!;
        await Store.CommitAsync(new ChangeSet { Rotation = v1 with { PhaseIndex = 1 } });

        var error = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r2") }));

        Assert.Contains("already has an active rotation 'r1'", error.Message);
    }

    [Fact]
    public async Task Contract_rotations_are_listed_oldest_first_whatever_their_offsets()
    {
        await CreateDomainAsync();
        await CreateDomainAsync("b.example");
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("late") with { CreatedAt = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero) } });
        // 10:00+05:00 is 05:00 UTC: earlier, although its local text sorts later.
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("early", "b.example") with { CreatedAt = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.FromHours(5)) } });

        Assert.Equal(["early", "late"], (await Store.ListRotationsAsync()).Select(r => r.Id));
        Assert.Equal(["late"], (await Store.ListRotationsAsync(S.DomainName)).Select(r => r.Id));
    }

    [Fact]
    public async Task Contract_a_duplicate_rotation_id_is_refused()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1") with { Status = RotationStatus.Aborted } });

        var error = await Assert.ThrowsAsync<DomainException>(() =>
            Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1") with { Status = RotationStatus.Aborted } }));

        Assert.Equal("rotation 'r1' already exists: resume it, or start a new rotation", error.Message);
    }

    [Fact]
    public async Task Contract_a_rotation_of_an_unknown_domain_is_refused()
    {
        var error = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1", "nowhere.example") }));

        Assert.Equal("trust domain 'nowhere.example' does not exist: create it with 'rotation init' first", error.Message);
        Assert.Null(await Store.FindRotationAsync("r1"));
    }

    [Fact]
    public async Task Contract_two_clients_starting_a_rotation_at_once_exactly_one_wins()
    {
        await CreateDomainAsync();
        var clients = new[] { (OpenAnother(), "ra"), (OpenAnother(), "rb") };
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var attempts = clients.Select(client => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await client.Item1.CommitAsync(new ChangeSet { Rotation = S.Rotation(client.Item2) });
                return null;
            }
            catch (DomainException ex)
            {
                return ex;
            }
        })).ToList();
        start.SetResult();
        var outcomes = await Task.WhenAll(attempts);

        Assert.Single(outcomes, o => o is null);
        var loser = Assert.Single(outcomes, o => o is not null)!;
        var winner = Assert.Single(await Store.ListRotationsAsync());
        Assert.Equal($"trust domain '{S.DomainName}' already has an active rotation '{winner.Id}': resume or abort it first", loser.Message);
    }

    [Fact]
    public async Task Contract_two_clients_advancing_the_same_version_exactly_one_wins()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1") });
        var v1 = (await Store.FindRotationAsync("r1"))!;
        var clients = new[] { OpenAnother(), OpenAnother() };
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var running = clients.Select((client, i) => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await client.CommitAsync(new ChangeSet { Rotation = v1 with { PhaseIndex = i + 1 }, Events = [S.Event($"advance-{i}")] });
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(running);

        Assert.Single(results, r => r);
        var winner = Array.IndexOf(results, true);
        var stored = (await Store.FindRotationAsync("r1"))!;
        Assert.Equal(2, stored.Version);
        Assert.Equal(winner + 1, stored.PhaseIndex);
        Assert.Equal([$"advance-{winner}"], (await Store.ReadOutboxAsync()).Select(e => e.Event.Id));
    }

    // ---- atomic change sets ----

    [Fact]
    public async Task Contract_a_change_set_whose_last_item_conflicts_writes_none_of_its_items()
    {
        await CreateDomainAsync("existing.example");

        var doomed = new ChangeSet
        {
            Domain = S.Domain("new.example"),
            Authorities = [S.Root("new.example")],
            Clusters = [S.Cluster("west", "new.example")],
            Events = [S.Event("e1")],
            // Never inserted, so version 7 cannot match: the last write conflicts.
            Rotation = S.Rotation("r1", "new.example") with { Version = 7 },
        };
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Store.CommitAsync(doomed));

        Assert.Null(await Store.FindDomainAsync("new.example"));
        Assert.Empty(await Store.ListAuthoritiesAsync("new.example"));
        Assert.Empty(await Store.ListClustersAsync());
        Assert.Empty(await Store.ReadOutboxAsync());
        Assert.Single(await Store.ListDomainsAsync());
    }

    [Fact]
    public async Task Contract_a_change_set_that_fails_midway_on_a_duplicate_leaves_earlier_updates_unapplied()
    {
        await Store.CommitAsync(new ChangeSet { Domain = S.Domain(), Authorities = [S.Root()] });
        var domain = (await Store.FindDomainAsync(S.DomainName))!;
        var root = (await Store.ListAuthoritiesAsync(S.DomainName)).Single();

        await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet
        {
            Domain = domain with { KeyAlgorithm = KeyAlgorithm.Rsa2048 },
            Authorities = [root.WithStatus(CaStatus.Retiring), S.Root()],
        }));

        Assert.Equal(1, (await Store.FindDomainAsync(S.DomainName))!.Version);
        var unchanged = (await Store.ListAuthoritiesAsync(S.DomainName)).Single();
        Assert.Equal(CaStatus.Active, unchanged.Status);
        Assert.Equal(1, unchanged.Version);
    }

    [Fact]
    public async Task Contract_a_cancelled_commit_writes_nothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Store.CommitAsync(new ChangeSet { Domain = S.Domain(), Events = [S.Event("e1")] }, cancelled.Token));

        Assert.Empty(await Store.ListDomainsAsync());
        Assert.Empty(await Store.ReadOutboxAsync());
    }

    [Fact]
    public async Task Contract_a_state_change_with_150_events_lands_whole_in_order()
    {
        await CreateDomainAsync();
        var events = S.Events(150);

        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1"), Events = events });

        var outbox = await Store.ReadOutboxAsync();
        Assert.Equal(events.Select(e => e.Id), outbox.Select(e => e.Event.Id));
        Assert.Equal(outbox.Select(e => e.Sequence).Order(), outbox.Select(e => e.Sequence));
        Assert.Equal(150, outbox.Select(e => e.Sequence).Distinct().Count());
        Assert.Equal(1, (await Store.FindRotationAsync("r1"))!.Version);
        Assert.Equal(["e000", "e001"], (await Store.ReadOutboxAsync(unpublishedOnly: true, max: 2)).Select(e => e.Event.Id));
    }

    [Fact]
    public async Task Contract_a_refused_change_set_with_150_events_writes_none_of_them()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1") });

        await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r2"), Events = S.Events(150) }));

        Assert.Empty(await Store.ReadOutboxAsync());
        Assert.Null(await Store.FindRotationAsync("r2"));
    }

    [Fact]
    public async Task Contract_a_150_event_change_set_committed_twice_appends_each_event_once()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Events = S.Events(150) });
        var first = await Store.ReadOutboxAsync();

        await Store.CommitAsync(new ChangeSet { Events = [.. S.Events(150), S.Event("e150")] });

        var second = await Store.ReadOutboxAsync();
        Assert.Equal(151, second.Count);
        Assert.Equal(first.Select(e => (e.Event.Id, e.Sequence)), second.Take(150).Select(e => (e.Event.Id, e.Sequence)));
        Assert.Equal("e150", second[^1].Event.Id);
    }

    // ---- outbox ----

    [Fact]
    public async Task Contract_events_come_back_whole_in_append_order()
    {
        await Store.CommitAsync(new ChangeSet { Events = [S.Event("e2"), S.Event("e1")] });
        await Store.CommitAsync(new ChangeSet { Events = [S.Event("e0", subject: "")] });

        var outbox = await Store.ReadOutboxAsync();

        Assert.Equal(["e2", "e1", "e0"], outbox.Select(e => e.Event.Id));
        Assert.True(outbox[0].Sequence < outbox[1].Sequence && outbox[1].Sequence < outbox[2].Sequence);
        Assert.All(outbox, e => Assert.True(e.PublishedAt is null && e.Attempts == 0 && e.LastError is null && e.ParkedAt is null && e.IsPending));
        var expected = S.Event("e2");
        var read = outbox[0].Event;
        Assert.Equal((expected.Id, expected.Source, expected.Type, expected.Time, expected.Subject), (read.Id, read.Source, read.Type, read.Time, read.Subject));
        Assert.Equal(expected.Time.Offset, read.Time.Offset);
        Assert.True(JsonElement.DeepEquals(expected.Data, read.Data));
        Assert.Equal("", outbox[2].Event.Subject);
    }

    [Fact]
    public async Task Contract_events_of_different_domains_keep_append_order()
    {
        await CreateDomainAsync("a.example");
        await CreateDomainAsync("b.example");
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("rb", "b.example"), Events = [S.Event("first", domain: "b.example")] });
        await Store.CommitAsync(new ChangeSet { Rotation = S.Rotation("ra", "a.example"), Events = [S.Event("second", domain: "a.example")] });
        await Store.CommitAsync(new ChangeSet { Events = [S.Event("third", domain: "b.example")] });

        Assert.Equal(["first", "second", "third"], (await Store.ReadOutboxAsync()).Select(e => e.Event.Id));
    }

    [Fact]
    public async Task Contract_an_event_id_seen_before_appends_nothing()
    {
        await Store.CommitAsync(new ChangeSet { Events = [S.Event("e1"), S.Event("e2")] });
        var before = await Store.ReadOutboxAsync();
        await Store.MarkPublishedAsync(["e1"], S.Now);

        await Store.CommitAsync(new ChangeSet { Events = [S.Event("e2"), S.Event("e1"), S.Event("e3")] });

        var after = await Store.ReadOutboxAsync();
        Assert.Equal(["e1", "e2", "e3"], after.Select(e => e.Event.Id));
        Assert.Equal(before.Select(e => e.Sequence), after.Take(2).Select(e => e.Sequence));
        Assert.Equal(S.Now, after[0].PublishedAt);
    }

    [Fact]
    public async Task Contract_max_limits_the_oldest_first_read()
    {
        await Store.CommitAsync(new ChangeSet { Events = [S.Event("e1"), S.Event("e2"), S.Event("e3")] });

        Assert.Equal(["e1", "e2"], (await Store.ReadOutboxAsync(max: 2)).Select(e => e.Event.Id));
        Assert.Empty(await Store.ReadOutboxAsync(max: 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ReadOutboxAsync(max: -1));
    }

    [Fact]
    public async Task Contract_published_events_drop_out_of_the_pending_read_and_keep_their_first_publish_time()
    {
        await Store.CommitAsync(new ChangeSet { Events = [S.Event("e1"), S.Event("e2"), S.Event("e3")] });
        var firstPublish = S.Now.AddMinutes(5);

        await Store.MarkPublishedAsync(["e1", "e3", "unknown"], firstPublish);
        await Store.MarkPublishedAsync(["e1"], firstPublish.AddHours(1));
        await Store.MarkPublishedAsync([], firstPublish.AddHours(2));

        Assert.Equal(["e2"], (await Store.ReadOutboxAsync(unpublishedOnly: true)).Select(e => e.Event.Id));
        var all = await Store.ReadOutboxAsync();
        Assert.Equal([firstPublish, null, firstPublish], all.Select(e => e.PublishedAt));
        Assert.Equal(firstPublish.Offset, all[0].PublishedAt!.Value.Offset);
    }

    [Fact]
    public async Task Contract_a_failed_delivery_counts_attempts_keeps_the_last_error_and_parks_at_the_limit()
    {
        await Store.CommitAsync(new ChangeSet { Events = [S.Event("e1"), S.Event("e2"), S.Event("e3")] });
        var t1 = S.Now.AddMinutes(1);
        var t2 = S.Now.AddMinutes(2);
        var t3 = S.Now.AddMinutes(3);

        await Store.RecordDeliveryFailureAsync(["e1", "e2"], "503 Service Unavailable", t1, parkAfterAttempts: 3);
        await Store.RecordDeliveryFailureAsync(["e1"], "429 Too Many Requests\nretry later", t2, parkAfterAttempts: 3);
        var pendingAfterTwo = await Store.ReadOutboxAsync(unpublishedOnly: true);
        await Store.RecordDeliveryFailureAsync(["e1", "unknown"], "400 Bad Request: event too large", t3, parkAfterAttempts: 3);

        Assert.Equal(["e1", "e2", "e3"], pendingAfterTwo.Select(e => e.Event.Id));
        var all = await Store.ReadOutboxAsync();
        var e1 = all[0];
        Assert.Equal((3, "400 Bad Request: event too large", (DateTimeOffset?)t3, (DateTimeOffset?)t3), (e1.Attempts, e1.LastError, e1.LastAttemptAt, e1.ParkedAt));
        Assert.False(e1.IsPending);
        Assert.True(e1.HasFailed);
        var e2 = all[1];
        Assert.Equal((1, "503 Service Unavailable", (DateTimeOffset?)t1, (DateTimeOffset?)null), (e2.Attempts, e2.LastError, e2.LastAttemptAt, e2.ParkedAt));
        Assert.True(e2.IsPending);
        Assert.Equal(["e2", "e3"], (await Store.ReadOutboxAsync(unpublishedOnly: true)).Select(e => e.Event.Id));
        Assert.Equal("429 Too Many Requests retry later", (await ReadAfterOneFailure("one-line")).LastError);
    }

    private async Task<Core.Ports.OutboxEntry> ReadAfterOneFailure(string id)
    {
        await Store.CommitAsync(new ChangeSet { Events = [S.Event(id)] });
        await Store.RecordDeliveryFailureAsync([id], "429 Too Many Requests\r\nretry later", S.Now, parkAfterAttempts: 5);
        return (await Store.ReadOutboxAsync()).Single(e => e.Event.Id == id);
    }

    [Fact]
    public async Task Contract_a_published_event_ignores_later_failures_and_a_parked_one_can_be_requeued()
    {
        await Store.CommitAsync(new ChangeSet { Events = [S.Event("e1"), S.Event("e2")] });
        await Store.MarkPublishedAsync(["e1"], S.Now);
        await Store.RecordDeliveryFailureAsync(["e1", "e2"], "timeout", S.Now.AddMinutes(1), parkAfterAttempts: 1);

        var parked = await Store.ReadOutboxAsync();
        Assert.Equal((0, (string?)null, (DateTimeOffset?)S.Now), (parked[0].Attempts, parked[0].LastError, parked[0].PublishedAt));
        Assert.Equal(S.Now.AddMinutes(1), parked[1].ParkedAt);
        Assert.Empty(await Store.ReadOutboxAsync(unpublishedOnly: true));

        await Store.RequeueAsync(["e1", "e2", "unknown"]);

        var requeued = (await Store.ReadOutboxAsync(unpublishedOnly: true)).Single();
        Assert.Equal("e2", requeued.Event.Id);
        Assert.Equal((0, "timeout", (DateTimeOffset?)null), (requeued.Attempts, requeued.LastError, requeued.ParkedAt));
        await Store.MarkPublishedAsync(["e2"], S.Now.AddMinutes(2));
        Assert.Empty(await Store.ReadOutboxAsync(unpublishedOnly: true));
    }
}

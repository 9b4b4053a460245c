using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Tests.Rotations.Support;
using Rotation.Testing.Custody;

namespace Rotation.Core.Tests.Authorities;

public sealed class CaServiceTests
{
    private const string Domain = "mesh.example.internal";
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly InMemoryStateStore _store = new();
    private readonly InMemoryKeyCustody _vault = new();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly CaService _service;

    public CaServiceTests() => _service = new CaService(_store, _vault, _time);

    [Fact]
    public async Task Init_mints_a_root_and_a_path_length_zero_intermediate_under_stable_ids()
    {
        var inventory = await _service.InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));

        var root = inventory.ActiveRoot;
        var intermediate = inventory.ActiveIntermediate;
        Assert.Equal($"CN={Domain} Root CA 2026-03-01,O={Domain}", root.Subject);
        Assert.True(root.Certificate.IsSelfSigned);
        Assert.True(intermediate.Certificate.IsSignedBy(root.Certificate));
        Assert.Equal(0, intermediate.Certificate.PathLength);
        Assert.Equal(root.Id, intermediate.ParentId);
        Assert.Equal($"root-{root.Sha256[..12]}", root.Id);
        Assert.Equal($"int-{intermediate.Sha256[..12]}", intermediate.Id);
        Assert.Equal(Now.AddDays(365), intermediate.NotAfter);
        Assert.True((await _vault.ExportAsync(intermediate.Key)).Matches(intermediate.Certificate));
        Assert.Equal(2, (await _store.ListAuthoritiesAsync(Domain)).Count);
        Assert.Equal(1, _store.Commits);
    }

    [Fact]
    public async Task A_failed_commit_leaves_no_domain_and_no_ca_and_a_retry_succeeds()
    {
        _store.FailNextCommit = true;

        await Assert.ThrowsAsync<IOException>(() => _service.InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365)));

        Assert.Null(await _store.FindDomainAsync(Domain));
        Assert.Empty(await _store.ListAuthoritiesAsync(Domain));
        var retried = await _service.InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));
        Assert.Equal(Domain, retried.Domain);
    }

    [Fact]
    public async Task Scan_ignores_retired_cas_and_ids_repeat_within_a_utc_day_only()
    {
        var inventory = await _service.InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));
        var expired = Now.AddDays(400);

        var first = await _service.ScanAsync(expired);
        var sameDay = await _service.ScanAsync(expired.AddHours(1));
        var nextDay = await _service.ScanAsync(expired.AddDays(1));
        var stored = (await _store.ListAuthoritiesAsync(Domain)).Single(a => a.Id == inventory.ActiveIntermediate.Id);
        await _store.CommitAsync(new ChangeSet { Authorities = [stored.WithStatus(CaStatus.Retired)] });
        var afterRetirement = await _service.ScanAsync(expired);

        Assert.Contains(first, e => e.Type == EventTypes.CertificateExpired && e.Subject == $"authorities/{inventory.ActiveIntermediate.Id}");
        Assert.Equal(first.Select(e => e.Id), sameDay.Select(e => e.Id));
        Assert.Empty(first.Select(e => e.Id).Intersect(nextDay.Select(e => e.Id)));
        Assert.DoesNotContain(afterRetirement, e => e.Subject == $"authorities/{inventory.ActiveIntermediate.Id}");
        Assert.Equal(first.Count + nextDay.Count, (await _store.ReadOutboxAsync()).Count);
    }

    [Fact]
    public async Task Scan_commits_each_trust_domains_events_in_its_own_change_set()
    {
        await _service.InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));
        await _service.InitAsync("other.example", KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));
        var before = _store.Committed.Count;

        var events = await _service.ScanAsync(Now.AddDays(400));

        var scans = _store.Committed.Skip(before).ToList();
        Assert.Equal(2, scans.Count);
        Assert.All(scans[0].Events, e => Assert.Equal("/rotation/domains/mesh.example.internal", e.Source));
        Assert.All(scans[1].Events, e => Assert.Equal("/rotation/domains/other.example", e.Source));
        Assert.NotEmpty(scans[0].Events);
        Assert.NotEmpty(scans[1].Events);
        Assert.Equal(events.Select(e => e.Id), scans.SelectMany(s => s.Events).Select(e => e.Id));
    }

    [Theory]
    [InlineData("mesh.example.internal", true)]
    [InlineData("a", true)]
    [InlineData("prod-1.mesh", true)]
    [InlineData("", false)]
    [InlineData("Mesh.example", false)]
    [InlineData("mesh.", false)]
    [InlineData("me sh", false)]
    [InlineData("mesh-.internal", false)]
    public void Trust_domain_names_are_dns_like(string name, bool valid)
    {
        var exception = Record.Exception(() => TrustDomainNames.Validate(name));

        Assert.Equal(valid, exception is null);
        if (exception is not null)
        {
            Assert.IsType<DomainException>(exception);
            Assert.DoesNotContain('\n', exception.Message);
        }
    }

    [Theory]
    [InlineData("spiffe://mesh.example.internal/ns/default/sa/web", true)]
    [InlineData("spiffe://mesh.example.internal/a_b.c-d", true)]
    [InlineData("spiffe://mesh.example.internal/", false)]
    [InlineData("spiffe://other.internal/web", false)]
    [InlineData("spiffe://mesh.example.internal/ns/../web", false)]
    [InlineData("spiffe://mesh.example.internal/web?x=1", false)]
    [InlineData("SPIFFE://mesh.example.internal/web", false)]
    public void Spiffe_ids_must_belong_to_the_domain_and_have_a_clean_path(string id, bool valid)
    {
        var exception = Record.Exception(() => SpiffeIds.Validate(id, Domain));

        Assert.Equal(valid, exception is null);
    }
}

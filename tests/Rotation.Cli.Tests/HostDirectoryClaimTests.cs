using Rotation.Cli.Tests.Support;
using Rotation.Infra.Files;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// One host directory belongs to one domain: `cluster add --dir D` leaves a claim file in D, and another home (or
/// another domain of the same home) registering D is refused with exit 3, naming the owner, and nothing changes.
/// </summary>
public sealed class HostDirectoryClaimTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli-dir-claim");
    private readonly CliRunner _homeA;
    private readonly CliRunner _homeB;

    public HostDirectoryClaimTests()
    {
        _homeA = new CliRunner(_temp.File("A"));
        _homeB = new CliRunner(_temp.File("B"));
        Directory.CreateDirectory(Dir);
    }

    private string Dir => _temp.File("etc-mesh");

    public async Task InitializeAsync()
    {
        await _homeA.SucceedAsync("init", "--domain", Domain);
        await _homeB.SucceedAsync("init", "--domain", Domain); // the repro's case: the same domain name in two homes
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_second_home_registering_the_same_directory_is_refused_naming_the_first_and_nothing_changes()
    {
        await _homeA.SucceedAsync("cluster", "add", "vm1", "--dir", Dir);
        var claimPath = Path.Combine(Dir, DirectoryClaim.FileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(claimPath));
        var claim = await File.ReadAllTextAsync(claimPath);
        Assert.Contains(Path.GetFullPath(_homeA.Home), claim);
        var homeBefore = HomeSnapshot.Take(_homeB.Home);
        var dirBefore = HomeSnapshot.Take(Dir);

        var refused = await _homeB.RunAsync("cluster", "add", "vm1-copy", "--dir", Dir, "--target", "files:issuer=none");

        Assert.True(refused.ExitCode == 3, refused.ToString());
        var line = Assert.Single(refused.ErrorLines);
        Assert.Contains($"directory {Dir} is already claimed by cluster 'vm1' of trust domain '{Domain}' in home {Path.GetFullPath(_homeA.Home)}", line);
        homeBefore.AssertUnchanged(_homeB.Home);
        dirBefore.AssertUnchanged(Dir);
        Assert.Equal("[]", (await _homeB.SucceedAsync("cluster", "list", "--json")).StdOut.Trim());
    }

    [Fact]
    public async Task Another_domain_of_the_same_home_is_refused_and_the_same_domain_may_add_it_again()
    {
        await _homeA.SucceedAsync("init", "--domain", "other.example.internal");
        await _homeA.SucceedAsync("cluster", "add", "vm1", "--domain", Domain, "--dir", Dir);

        var otherDomain = await _homeA.RunAsync("cluster", "add", "vm2", "--domain", "other.example.internal", "--dir", Dir);
        Assert.True(otherDomain.ExitCode == 3, otherDomain.ToString());
        Assert.Contains($"already claimed by cluster 'vm1' of trust domain '{Domain}'", Assert.Single(otherDomain.ErrorLines));

        // Removing gives the directory back (the claim file goes); the same domain registers it again.
        await _homeA.SucceedAsync("cluster", "remove", "vm1");
        Assert.False(File.Exists(Path.Combine(Dir, DirectoryClaim.FileName)));
        await _homeA.SucceedAsync("cluster", "add", "vm1", "--domain", Domain, "--dir", Dir);
        Assert.True(File.Exists(Path.Combine(Dir, DirectoryClaim.FileName)));
    }

    [Fact]
    public async Task A_claim_left_by_this_home_and_domain_is_its_own_and_a_foreign_claim_file_is_refused()
    {
        await _homeA.SucceedAsync("cluster", "add", "vm1", "--dir", Dir);
        // The registration is gone from the store (a restored backup, say) but its claim file is still there.
        var store = Homes.Store(_homeA.Home);
        var cluster = (await store.ListClustersAsync()).Single();
        await store.CommitAsync(new Core.Ports.ChangeSet { RemovedClusters = [cluster] });

        await _homeA.SucceedAsync("cluster", "add", "vm1", "--dir", Dir);

        var other = _temp.File("other-dir");
        Directory.CreateDirectory(other);
        await File.WriteAllTextAsync(Path.Combine(other, DirectoryClaim.FileName), "not json");
        var unreadable = await _homeB.RunAsync("cluster", "add", "vm9", "--dir", other);
        Assert.Equal(3, unreadable.ExitCode);
        Assert.Contains("is not a claim Rotation can read", Assert.Single(unreadable.ErrorLines));
    }
}

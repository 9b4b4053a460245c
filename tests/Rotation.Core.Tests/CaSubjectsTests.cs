using Rotation.Core.Authorities;
using Rotation.Core.Pki;

namespace Rotation.Core.Tests;

/// <summary>CA subjects stay within RFC 5280's 64-character bounds for any trust domain a DNS name allows.</summary>
public sealed class CaSubjectsTests
{
    [Theory]
    [InlineData("mesh.example.internal")]
    [InlineData("payments-eu-west.mesh.platform.example.internal")]
    [InlineData("a-very-long-label-for-a-trust-domain-that-goes-on.and-on.and-on.example.internal")]
    public void Every_relative_name_fits_its_bound_and_parses(string domain)
    {
        foreach (var subject in new[] { CaSubjects.Root(domain, "2026-12-02"), CaSubjects.Intermediate(domain, "2026-12-02") })
        {
            var parts = subject.Split(",O=");
            Assert.True(parts[0].Length - "CN=".Length <= CaSubjects.UpperBound, subject);
            Assert.True(parts[1].Length <= CaSubjects.UpperBound, subject);
            Assert.False(parts[1].EndsWith('.') || parts[1].EndsWith('-'), subject);
            DistinguishedNames.Parse(subject, "subject", allowEmpty: false);
        }
    }

    [Fact]
    public void A_short_domain_is_kept_whole()
    {
        Assert.Equal("CN=mesh.example.internal Root CA g2,O=mesh.example.internal", CaSubjects.Root("mesh.example.internal", "g2"));
    }
}

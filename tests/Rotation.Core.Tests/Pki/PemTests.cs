using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Core.Tests.Pki;

public sealed class PemTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly TestHierarchy Pki = TestPki.Hierarchy(Now);

    [Fact]
    public void Chain_round_trips_in_order()
    {
        var leaf = Pki.Leaf().Certificate;
        Certificate[] chain = [leaf, Pki.Intermediate.Certificate, Pki.Root.Certificate];

        var read = Pem.ReadCertificates(Pem.WriteCertificates(chain), "chain.pem");

        Assert.Equal(chain.Select(c => c.Sha256), read.Select(c => c.Sha256));
        Assert.Equal(leaf.Der.ToArray(), read[0].Der.ToArray());
    }

    [Fact]
    public void Written_pem_is_standard_64_column_with_newlines_only()
    {
        var pem = Pem.WriteCertificates([Pki.Root.Certificate, Pki.Intermediate.Certificate]);

        Assert.DoesNotContain('\r', pem);
        Assert.EndsWith("-----END CERTIFICATE-----\n", pem, StringComparison.Ordinal);
        var lines = pem.TrimEnd('\n').Split('\n');
        Assert.All(lines, line => Assert.True(line.Length <= 64, line));
        Assert.All(lines.Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).SkipLast(1), line => Assert.True(line.Length is 64 or < 64));
        Assert.Equal(2, lines.Count(l => l == "-----BEGIN CERTIFICATE-----"));
        Assert.Equal(Pki.Root.Certificate.ToPem() + Pki.Intermediate.Certificate.ToPem(), pem);
    }

    [Fact]
    public void Text_between_blocks_and_other_blocks_are_ignored()
    {
        var text = "Bag Attributes\n  friendlyName: root\nsubject=CN = Root A\n" + Pki.Root.Certificate.ToPem()
            + "# comment\r\n" + Pki.Intermediate.Key.ToPkcs8Pem() + "\n\ntrailing words\n"
            + Pki.Intermediate.Certificate.ToPem().Replace("\n", "\r\n", StringComparison.Ordinal) + "end";

        var read = Pem.ReadCertificates(text, "mixed.pem");

        Assert.Equal([Pki.Root.Certificate, Pki.Intermediate.Certificate], read);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("key block")]
    public void No_certificate_names_the_source_and_what_is_expected(string text)
    {
        // A private key block is not a certificate: it must be reported as "no certificate", not parsed.
        text = text == "key block" ? $"{PemLabels.Begin(PemLabels.Pkcs8)}\nAAAA\n{PemLabels.End(PemLabels.Pkcs8)}\n" : text;

        var ex = Assert.Throws<PkiException>(() => Pem.ReadCertificates(text, "bundle.pem"));

        Assert.Equal("bundle.pem: no PEM certificate found: expected '-----BEGIN CERTIFICATE-----' blocks", ex.Message);
    }

    [Theory]
    [InlineData("-----BEGIN CERTIFICATE-----\n@@@not base64@@@\n-----END CERTIFICATE-----\n", "base64")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n", "not a valid X.509 certificate")]
    [InlineData("-----BEGIN CERTIFICATE-----\nMIIB\n", "END CERTIFICATE")]
    public void Malformed_second_block_names_source_and_block_index(string bad, string problem)
    {
        var text = Pki.Root.Certificate.ToPem() + bad;

        var ex = Assert.Throws<PkiException>(() => Pem.ReadCertificates(text, "chain.pem"));

        Assert.StartsWith("chain.pem: certificate block 2 ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Unterminated_foreign_block_does_not_hide_later_certificates()
    {
        var text = "-----BEGIN NOTES-----\nno end line here\n" + Pki.Root.Certificate.ToPem();

        Assert.Equal([Pki.Root.Certificate], Pem.ReadCertificates(text, "notes.pem"));
    }

    [Fact]
    public void Unterminated_certificate_followed_by_another_is_reported_as_that_block()
    {
        var text = Pki.Root.Certificate.ToPem() + "-----BEGIN CERTIFICATE-----\nMIIB\n" + Pki.Intermediate.Certificate.ToPem();

        var ex = Assert.Throws<PkiException>(() => Pem.ReadCertificates(text, "chain.pem"));

        Assert.StartsWith("chain.pem: certificate block 2 has no '-----END CERTIFICATE-----' line", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Certificate_FromPem_requires_exactly_one()
    {
        var two = Pki.Root.Certificate.ToPem() + Pki.Intermediate.Certificate.ToPem();

        var ex = Assert.Throws<PkiException>(() => Certificate.FromPem(two));

        Assert.Contains("found 2", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Pki.Root.Certificate, Certificate.FromPem(Pki.Root.Certificate.ToPem()));
    }

    [Fact]
    public void Certificate_FromDer_refuses_garbage()
    {
        Assert.Throws<PkiException>(() => Certificate.FromDer([0x30, 0x03, 0x02, 0x01, 0x01]));
        Assert.Throws<PkiException>(() => Certificate.FromDer([]));
    }
}

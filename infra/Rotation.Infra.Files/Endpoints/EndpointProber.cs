using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Rotation.Core.Pki;

namespace Rotation.Infra.Files.Endpoints;

/// <summary>Timeouts of one probe.</summary>
public sealed record EndpointProbeOptions
{
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// TLS 1.3 only, <c>host:port</c> endpoints: how long to wait after the client's handshake for the server's verdict on
    /// the client certificate. In TLS 1.3 the client finishes its handshake before the server has checked the client's
    /// certificate, so a refusal arrives as an alert right after; an endpoint that holds the connection this long
    /// without an alert has accepted it. In TLS 1.2 the handshake itself is the verdict.
    /// </summary>
    public TimeSpan VerdictWait { get; init; } = TimeSpan.FromMilliseconds(750);
}

/// <summary>
/// Real TLS handshakes to an endpoint, optionally presenting a client certificate, recording the chain the server
/// serves. The server's certificate is not judged here (any chain is accepted so that it can be recorded); what the
/// server does with the client's certificate is the verdict.
/// </summary>
public sealed partial class EndpointProber(EndpointProbeOptions? options = null)
{
    private readonly EndpointProbeOptions _options = options ?? new EndpointProbeOptions();

    // Certificate alerts as OpenSSL spells them ("tlsv1 alert unknown ca", "sslv3 alert bad certificate", "tlsv13 alert certificate required").
    private static readonly string[] CertificateAlerts =
        ["unknown ca", "bad certificate", "certificate unknown", "certificate required", "unsupported certificate", "certificate expired", "certificate revoked", "access denied"];

    [GeneratedRegex(@"(?:tlsv1\d?|sslv3) alert [a-z ]+", RegexOptions.IgnoreCase)]
    private static partial Regex AlertText();

    public async Task<ProbeOutcome> ProbeAsync(EndpointAddress endpoint, SslStreamCertificateContext? clientIdentity, CancellationToken cancellationToken)
    {
        Certificate? servedLeaf = null;
        IReadOnlyList<Certificate> servedIntermediates = [];
        using var tcp = new TcpClient();
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connect.CancelAfter(_options.ConnectTimeout);
            try
            {
                await tcp.ConnectAsync(endpoint.Host, endpoint.Port, connect.Token);
            }
            catch (SocketException ex)
            {
                return new ProbeOutcome(ProbeVerdict.Unreachable, $"{ex.SocketErrorCode}: {ex.Message}", null, []);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new ProbeOutcome(ProbeVerdict.Unreachable, $"no TCP connection within {_options.ConnectTimeout.TotalSeconds:0.#} s", null, []);
            }
        }

        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = endpoint.Host,
            ClientCertificateContext = clientIdentity,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                if (certificate is not null)
                {
                    servedLeaf = Certificate.FromDer(certificate.GetRawCertData());
                    servedIntermediates = (chain?.ChainPolicy.ExtraStore.Cast<X509Certificate2>() ?? [])
                        .Select(c => Certificate.FromDer(c.RawData))
                        .Where(c => !c.Equals(servedLeaf))
                        .ToList();
                }

                return true;
            },
        };

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.HandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsClientAsync(authentication, deadline.Token);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return Classify(ex, "during the handshake", servedLeaf, servedIntermediates);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeOutcome(ProbeVerdict.Inconclusive, $"no TLS handshake within {_options.HandshakeTimeout.TotalSeconds:0.#} s", servedLeaf, servedIntermediates);
        }

        try
        {
            return endpoint.HttpPath is { } path
                ? await HttpVerdictAsync(ssl, endpoint, path, servedLeaf, servedIntermediates, deadline.Token)
                : await TlsVerdictAsync(ssl, servedLeaf, servedIntermediates, cancellationToken);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return Classify(ex, "after the handshake", servedLeaf, servedIntermediates);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeOutcome(ProbeVerdict.Inconclusive, "no HTTP answer in time", servedLeaf, servedIntermediates);
        }
    }

    private async Task<ProbeOutcome> TlsVerdictAsync(SslStream ssl, Certificate? leaf, IReadOnlyList<Certificate> intermediates, CancellationToken cancellationToken)
    {
#pragma warning disable SYSLIB0039 // Naming TLS 1.2 is reading what was negotiated, not enabling it.
        if (ssl.SslProtocol != SslProtocols.Tls13)
#pragma warning restore SYSLIB0039
            return new ProbeOutcome(ProbeVerdict.Accepted, $"{ssl.SslProtocol} handshake completed (the server's Finished follows its check of the client certificate)", leaf, intermediates);

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(_options.VerdictWait);
        try
        {
            var read = await ssl.ReadAsync(new byte[1], wait.Token);
            return read == 0
                ? new ProbeOutcome(ProbeVerdict.Inconclusive, "the server closed the connection right after the TLS 1.3 handshake without an alert", leaf, intermediates)
                : new ProbeOutcome(ProbeVerdict.Accepted, "TLS 1.3 handshake completed and the server sent data", leaf, intermediates);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeOutcome(ProbeVerdict.Accepted, $"TLS 1.3 handshake completed and no alert followed within {_options.VerdictWait.TotalMilliseconds:0} ms", leaf, intermediates);
        }
    }

    private static async Task<ProbeOutcome> HttpVerdictAsync(SslStream ssl, EndpointAddress endpoint, string path, Certificate? leaf, IReadOnlyList<Certificate> intermediates, CancellationToken cancellationToken)
    {
        var request = $"GET {path} HTTP/1.1\r\nHost: {endpoint.Host}:{endpoint.Port}\r\nUser-Agent: rotation-probe\r\nConnection: close\r\n\r\n";
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken);
        await ssl.FlushAsync(cancellationToken);
        var response = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while (response.Length < 65536 && (read = await ssl.ReadAsync(buffer, cancellationToken)) > 0)
            response.Write(buffer, 0, read);
        var text = Encoding.ASCII.GetString(response.ToArray());
        var statusLine = text.Split("\r\n", 2)[0];
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/", StringComparison.Ordinal) || !int.TryParse(parts[1], out var status))
            return new ProbeOutcome(ProbeVerdict.Inconclusive, $"no HTTP status line in the answer ('{Shorten(statusLine)}')", leaf, intermediates);

        // nginx completes the handshake with any client certificate and then answers 400 (its internal 495/496) with these pages.
        if (status == 495 || (status == 400 && text.Contains("SSL certificate error", StringComparison.OrdinalIgnoreCase)))
            return new ProbeOutcome(ProbeVerdict.Refused, $"HTTP {status}: the SSL certificate error", leaf, intermediates);
        if (status == 496 || (status == 400 && text.Contains("No required SSL certificate", StringComparison.OrdinalIgnoreCase)))
            return new ProbeOutcome(ProbeVerdict.Inconclusive, $"HTTP {status}: the server says no client certificate was sent", leaf, intermediates);
        if (status == 400 || status >= 500)
            return new ProbeOutcome(ProbeVerdict.Inconclusive, $"HTTP {status} does not say whether the client certificate was trusted", leaf, intermediates);
        return new ProbeOutcome(ProbeVerdict.Accepted, $"HTTP {status}", leaf, intermediates);
    }

    private static ProbeOutcome Classify(Exception ex, string when, Certificate? leaf, IReadOnlyList<Certificate> intermediates)
    {
        var messages = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
            messages.Add(e.Message);
        var all = string.Join(" | ", messages);
        var alert = AlertText().Match(all);
        if (alert.Success)
        {
            var name = alert.Value.Trim();
            var verdict = CertificateAlerts.Any(a => name.EndsWith(a, StringComparison.OrdinalIgnoreCase)) ? ProbeVerdict.Refused : ProbeVerdict.Inconclusive;
            return new ProbeOutcome(verdict, $"TLS alert {when}: {name}", leaf, intermediates);
        }

        return new ProbeOutcome(ProbeVerdict.Inconclusive, $"TLS failed {when} without a certificate alert: {Shorten(messages[^1])}", leaf, intermediates);
    }

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..120] + "…";
}

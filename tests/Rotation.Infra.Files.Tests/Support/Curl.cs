using System.Diagnostics;

namespace Rotation.Infra.Files.Tests.Support;

public sealed record CurlResult(bool Succeeded, string Detail);

/// <summary>Debian's curl with a client certificate: <c>--fail</c>, so nginx's 400 for an untrusted client certificate counts as a failure.</summary>
public static class Curl
{
    public static async Task<CurlResult> GetAsync(int port, string caBundle, ClientLeaf client)
    {
        var start = new ProcessStartInfo("curl") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[]
                 {
                     "--fail", "-sS", "--max-time", "5", "-o", "/dev/null",
                     "--resolve", $"localhost:{port}:127.0.0.1",
                     "--cacert", caBundle, "--cert", client.ChainPath, "--key", client.KeyPath,
                     $"https://localhost:{port}/",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        _ = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? new CurlResult(true, "ok")
            : new CurlResult(false, $"curl exited {process.ExitCode}: {(await error).Trim()}");
    }
}

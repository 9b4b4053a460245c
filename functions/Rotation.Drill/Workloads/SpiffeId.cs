namespace Rotation.Drill.Workloads;

/// <summary>The names a simulated workload is known by, shaped like Istio's: spiffe://&lt;domain&gt;/ns/&lt;cluster&gt;/sa/&lt;workload&gt;.</summary>
public static class SpiffeId
{
    public static string For(string trustDomain, string cluster, string workload) =>
        $"spiffe://{trustDomain}/ns/{cluster}/sa/{workload}";

    public static string DnsNameFor(string cluster, string workload) => $"{workload}.{cluster}.svc";
}

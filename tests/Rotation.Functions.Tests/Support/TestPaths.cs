using System.Reflection;

namespace Rotation.Functions.Tests.Support;

/// <summary>Paths the test project's build recorded (see the csproj's AssemblyMetadata items).</summary>
public static class TestPaths
{
    public static string RepositoryRoot => Metadata("RepositoryRoot");
    public static string FunctionsOutput => Metadata("FunctionsOutput");
    public static string BicepPackage => Metadata("BicepPackage");
    public static string Bicep => Path.Combine(BicepPackage, "tools", "bicep");

    private static string Metadata(string key) =>
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"the test assembly has no '{key}' metadata: see Rotation.Functions.Tests.csproj");
}

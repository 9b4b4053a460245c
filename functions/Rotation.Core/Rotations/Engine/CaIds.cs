namespace Rotation.Core.Rotations.Engine;

/// <summary>Ids of the CAs a rotation mints, derived from the rotation id so every re-run names them the same.</summary>
public static class CaIds
{
    /// <summary>The rotation id's unique tail ("rot-20261123-a1b2c3" → "20261123-a1b2c3").</summary>
    public static string GenerationOf(string rotationId) =>
        rotationId.StartsWith("rot-", StringComparison.Ordinal) ? rotationId[4..] : rotationId;

    public static string Root(string generation) => $"root-{generation}";
    public static string Intermediate(string generation) => $"int-{generation}";
}

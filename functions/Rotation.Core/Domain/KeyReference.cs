namespace Rotation.Core.Domain;

/// <summary>Where a CA's private key lives: a vault provider ("local", "keyvault") and the key's name there. Never the key itself.</summary>
public sealed record KeyReference(string Provider, string Name)
{
    public override string ToString() => $"{Provider}:{Name}";
}

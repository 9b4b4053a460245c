namespace Rotation.Core.Pki;

/// <summary>The key types Rotation mints CA and leaf keys with.</summary>
public enum KeyAlgorithm
{
    EcdsaP256,
    EcdsaP384,
    Rsa2048,
    Rsa3072,
    Rsa4096,
}

namespace Rotation.Core.Domain;

public enum CaRole
{
    Root,
    Intermediate,
}

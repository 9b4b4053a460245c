namespace Rotation.Core.Rotations;

public enum RotationKind
{
    Root,
    Intermediate,
}

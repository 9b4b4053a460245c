namespace Rotation.Core.Expiry;

public enum ExpiryState
{
    Ok,
    Warning,
    Critical,
    Expired,
}

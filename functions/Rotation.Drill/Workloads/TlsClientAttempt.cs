namespace Rotation.Drill.Workloads;

/// <summary>
/// What the client side of one connection saw. <see cref="ClientRejection"/> is set when the client refused the
/// server; when it failed without one, the server refused the client (ask the server why, by <see cref="LocalPort"/>).
/// </summary>
public sealed record TlsClientAttempt(bool Succeeded, PeerRejection? ClientRejection, string Detail, int LocalPort, string Response);

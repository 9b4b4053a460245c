using Rotation.Core.Pki;

namespace Rotation.Core.Domain;

/// <summary>A trust domain (e.g. "mesh.example.internal"): the workloads that share one CA hierarchy. New CAs use its key algorithm.</summary>
public sealed record TrustDomain(string Name, DateTimeOffset CreatedAt, KeyAlgorithm KeyAlgorithm, long Version = 0);

namespace Rotation.Core.Expiry;

/// <summary>Where a certificate sits in the hierarchy; each layer has its own expiry thresholds.</summary>
public enum CertificateLayer
{
    /// <summary>Workload leaves: short-lived, renewed by the mesh itself.</summary>
    Workload,

    /// <summary>The CA that signs workload leaves.</summary>
    IssuingCa,

    /// <summary>A CA between the root and the issuing CA.</summary>
    Intermediate,

    Root,
}

using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Core.Authorities;

/// <summary>
/// Mints CA certificates whose keys stay in custody, resumably: run again after a crash and it finishes what is left
/// (an attached key is returned as it is: nothing is signed twice).
/// </summary>
public static class CustodyAuthorities
{
    /// <summary>A non-exportable key, a self-signed CA certificate signed by that key in its custody, attached to it.</summary>
    public static async Task<CustodyKey> CreateRootAsync(IKeyCustody custody, CustodyKeyRequest key, RootCaRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(custody);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Role != CaRole.Root || key.Exportable)
        {
            throw new PkiException($"root key '{key.Name}' must be requested with role Root and not exportable: a root key never leaves its custody");
        }

        var created = await custody.CreateKeyAsync(key, cancellationToken);
        if (created.State == CustodyKeyState.Active)
        {
            return created;
        }

        var certificate = await CertificateFactory.CreateRootAsync(request, new CustodySigner(custody, created), cancellationToken);
        return await custody.AttachCertificateAsync(created.Reference, [certificate], cancellationToken);
    }

    /// <summary>A key in custody (exportable when <paramref name="key"/> says so), certified by <paramref name="issuer"/> through its custody, chain attached.</summary>
    public static Task<CustodyKey> CreateIntermediateAsync(IKeyCustody custody, CustodyKeyRequest key, IntermediateCaRequest request, CustodyKey issuer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        return CreateIntermediateAsync(custody, key, request, issuer, issuer.Chain, cancellationToken);
    }

    /// <summary>
    /// As above, with the issuer's chain (issuer first) as the store holds it: a key stored before custody existed
    /// (the local vault's version 1) has no certificate attached in its custody.
    /// </summary>
    public static async Task<CustodyKey> CreateIntermediateAsync(IKeyCustody custody, CustodyKeyRequest key, IntermediateCaRequest request, CustodyKey issuer, IReadOnlyList<Certificate> issuerChain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(custody);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(issuerChain);
        if (issuer.State != CustodyKeyState.Active || issuerChain.Count == 0)
        {
            throw new PkiException($"issuer key {issuer.Reference} has no attached certificate ({issuer.State}): finish creating the issuer first");
        }

        var created = await custody.CreateKeyAsync(key, cancellationToken);
        if (created.State == CustodyKeyState.Active)
        {
            return created;
        }

        var certificate = await CertificateFactory.CreateIntermediateAsync(request, created.PublicKey, issuerChain[0], new CustodySigner(custody, issuer), cancellationToken);
        return await custody.AttachCertificateAsync(created.Reference, [certificate, .. issuerChain], cancellationToken);
    }
}

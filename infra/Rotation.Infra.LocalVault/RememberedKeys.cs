using System.Collections.Concurrent;
using Rotation.Core.Pki;

namespace Rotation.Infra.LocalVault;

/// <summary>
/// The keys one vault instance has stored or decrypted, so signing with a key the process has just stored does not
/// decrypt its file again. A remembered key is returned only while its file still holds exactly the text it was
/// stored or read as, under the same passphrase: it is what decrypting the file would return, never more. Held in
/// memory by the vault instance only (never written, never logged; <see cref="PrivateKey"/> prints redacted).
/// </summary>
internal sealed class RememberedKeys
{
    private readonly ConcurrentDictionary<string, Entry> _keys = new(StringComparer.Ordinal);

    public PrivateKey? Find(string stem, string pem, PassphraseKeyEncryption encryption) =>
        _keys.TryGetValue(stem, out var entry) && ReferenceEquals(entry.Encryption, encryption) && string.Equals(entry.Pem, pem, StringComparison.Ordinal)
            ? entry.Key
            : null;

    public void Remember(string stem, string pem, PassphraseKeyEncryption encryption, PrivateKey key) =>
        _keys[stem] = new Entry(pem, encryption, key);

    private sealed record Entry(string Pem, PassphraseKeyEncryption Encryption, PrivateKey Key);
}

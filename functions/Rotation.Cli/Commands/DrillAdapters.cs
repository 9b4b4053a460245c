using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Drill.Drills;
using Rotation.Infra.Composition;

namespace Rotation.Cli.Commands;

/// <summary>
/// The store, custody and sink a drill runs on: the embedded defaults in its throwaway home, or what --vault, --store and
/// --events name, composed exactly as the Functions host composes them (<see cref="AdapterFactory"/>). Flags only: a
/// drill rotates whatever it runs on, so ROTATION_VAULT/STORE/EVENTS and HOME/rotation.json, which point the other
/// commands at real state, must never point a drill there by accident. On anything but the embedded defaults each run
/// gets a fresh trust domain (drill-HEX.mesh.internal) and, on Table Storage, a fresh table, so runs never meet each
/// other or real data in the same vault or account.
/// </summary>
internal sealed class DrillAdapters : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private DrillAdapters(ServiceProvider services, string domain, DrillAdaptersReport report, bool embedded)
    {
        _services = services;
        Embedded = embedded;
        Domain = domain;
        Report = report;
        Store = services.GetRequiredService<IStateStore>();
        Custody = services.GetRequiredService<IKeyCustody>();
        Publisher = services.GetService<OutboxPublisher>();
    }

    public string Domain { get; }

    /// <summary>The throwaway SQLite file and local vault, which go with the temp folder: nothing outlives the drill.</summary>
    public bool Embedded { get; }
    public DrillAdaptersReport Report { get; }
    public IStateStore Store { get; }
    public IKeyCustody Custody { get; }

    /// <summary>The outbox drain to the --events sink, limited to <see cref="Domain"/>; null without --events.</summary>
    public OutboxPublisher? Publisher { get; }

    public static DrillAdapters Open(CliContext context, string throwawayHome)
    {
        var settings = AdapterFactory.Settings(
            context,
            AdapterSettings.FromFlags(context),
            Path.Combine(throwawayHome, CliServices.DatabaseFileName),
            Path.Combine(throwawayHome, CliServices.KeyDirectoryName),
            readOnly: false);
        // The drill's local keys are throwaway, but the vault still encrypts them: the passphrase lives only in memory
        // (never ROTATION_VAULT_PASSPHRASE, which belongs to the operator's home).
        settings.KeyPassphrase = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        // The drill owns its throwaway SQLite file for the whole run: pooled connections, closed when the run ends.
        settings.SqlitePooling = true;
        var embedded = RotationAdapterSettings.Is(settings.Vault, RotationAdapterSettings.LocalVault)
            && RotationAdapterSettings.Is(settings.Store, RotationAdapterSettings.SqliteStore)
            && RotationAdapterSettings.Is(settings.Events, RotationAdapterSettings.NoEvents);
        var run = RandomNumberGenerator.GetHexString(8, lowercase: true);
        var domain = embedded ? DrillCommand.Domain : $"drill-{run}.mesh.internal";
        var table = RotationAdapterSettings.Is(settings.Store, RotationAdapterSettings.TableStore) ? $"drill{run}" : null;
        if (table is not null)
        {
            settings.TableName = table;
        }

        var services = AdapterFactory.Compose(context, settings, s => s.AddSingleton(new OutboxPublisherOptions { Domain = domain }));
        var report = new DrillAdaptersReport(Kind(settings.Vault), Kind(settings.Store), Kind(settings.Events), domain, table);
        return new DrillAdapters(services, domain, report, embedded);
    }

    /// <summary>
    /// Retires the key of every CA the drill's domain holds: a drill on a real vault leaves its domain's certificates
    /// behind (Rotation disables, never deletes), and a throwaway root must not stay able to sign there. Returns how
    /// many keys it retired; repeatable.
    /// </summary>
    public async Task<int> RetireDrillKeysAsync(CancellationToken cancellationToken)
    {
        var retired = 0;
        foreach (var ca in await Store.ListAuthoritiesAsync(Domain, cancellationToken))
        {
            if (ca.Key.Provider == Custody.Provider)
            {
                await Custody.RetireAsync(ca.Key, cancellationToken);
                retired++;
            }
        }

        return retired;
    }

    private static string Kind(string value) => value.Trim().ToLowerInvariant();

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Messaging.EventGrid;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Infra.Sqlite;

namespace Rotation.Infra.Events.Tests;

internal static class TestEvents
{
    public static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 30, 0, TimeSpan.FromHours(1));

    /// <summary>The events one root rotation appends, phase by phase, as the engine builds them.</summary>
    public static IReadOnlyList<CloudEvent> OfARootRotation(string id = "rot-1")
    {
        var record = new RotationRecord
        {
            Id = id,
            Domain = "mesh.example.internal",
            Kind = RotationKind.Root,
            Plan = RotationPlans.For(RotationKind.Root),
            Authorities = new RotationAuthorities("root-old", "int-old", "root-new", "int-new"),
            Policy = new RotationPolicy(),
            CreatedAt = Now,
            UpdatedAt = Now,
        };
        var events = new List<CloudEvent>();
        var at = Now;
        foreach (var phase in record.Plan)
        {
            events.Add(RotationEvents.Create(record, EventTypes.PhaseStarted, phase, at = at.AddMinutes(1), $"{phase} started"));
            events.Add(RotationEvents.Create(record, EventTypes.ApprovalRequired, phase, at = at.AddMinutes(1), $"approve {phase}"));
            events.Add(RotationEvents.Create(record, EventTypes.PhaseCompleted, phase, at = at.AddMinutes(1), $"{phase} completed"));
        }

        events.Add(RotationEvents.Create(record with { Status = RotationStatus.Completed }, EventTypes.RotationCompleted, null, at.AddMinutes(1), "done"));
        return events;
    }

    public static CloudEvent Sized(string id, int dataBytes, string type = EventTypes.GateBlocked) => new(
        id,
        "/rotation/domains/mesh.example.internal",
        type,
        Now,
        "rotations/r1",
        JsonSerializer.SerializeToElement(new { padding = new string('x', dataBytes) }));

    public static async Task<SqliteStateStore> StoreWithAsync(TempDirectory directory, IReadOnlyList<CloudEvent> events)
    {
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = directory.Combine("rotation.db") });
        foreach (var chunk in events.Chunk(50))
        {
            await store.CommitAsync(new ChangeSet { Events = chunk });
        }

        return store;
    }

    public static EventGridPublisherClientOptions ClientOptions(LoopbackTls tls)
    {
        var options = new EventGridPublisherClientOptions { Transport = new HttpClientTransport(tls.TrustingHandler()) };
        options.Retry.MaxRetries = 0;
        return options;
    }

    public static OutboxPublisherOptions FastRetries(int maxEventsPerBatch = 500) => new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(5),
        MaxBackoff = TimeSpan.FromMilliseconds(20),
        MaxEventsPerBatch = maxEventsPerBatch,
    };

    /// <summary>A fixed Entra token, as a managed identity would hand out.</summary>
    public sealed class FixedToken(string token) : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes.AddRange(requestContext.Scopes);
            return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}

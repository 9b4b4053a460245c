using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Rotation.Core.Authorities;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Functions.Hosting;
using Rotation.Functions.Orchestrations;

namespace Rotation.Functions.Http;

/// <summary>
/// The rotation HTTP API (authorization level Function; put Entra ID in front, see docs/functions.md). Every command
/// goes through the engine's <see cref="RotationService"/> first, so a refusal changes nothing and comes back as
/// RFC 9457 problem details; then the orchestration is told (started, or woken by an event).
/// </summary>
public sealed class RotationApi(RotationService rotations, RotationStarter starter, CaService authorities, IStateStore store)
{
    [Function("StartRotation")]
    public async Task<IActionResult> StartAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "rotations")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (body, errors) = await RequestBodies.ReadAsync<StartRotationRequest>(request, required: true, cancellationToken);
        if (body is not null)
        {
            if (string.IsNullOrWhiteSpace(body.Domain))
                RequestBodies.Add(errors, "domain", "is required: the trust domain to rotate");
            _ = RequestBodies.ParseKind(body.Kind, "kind", errors);
            if (string.IsNullOrWhiteSpace(body.RequestedBy))
                RequestBodies.Add(errors, "requestedBy", "is required: who asks for this rotation (recorded in the audit trail)");
        }

        if (errors.Count > 0 || body is null)
            return Problems.Validation(request, errors);

        var kind = RequestBodies.ParseKind(body.Kind, "kind", errors)!.Value;
        var policy = new RotationPolicy();
        if (body.ApproveEachPhase)
            policy = policy.ApprovingEachPhase(kind);
        try
        {
            var record = await starter.StartAsync(client, body.Domain!, kind, policy, body.RequestedBy!, cancellationToken);
            var links = StatusLinks.For(request, record.Id);
            var result = new ApiResult(StatusCodes.Status202Accepted, new { id = record.Id, record.Domain, record.Kind, record.Status, phase = record.CurrentPhase, links });
            result.Headers["Location"] = links.Status;
            return result;
        }
        catch (Exception ex) when (Problems.IsApiProblem(ex))
        {
            return Problems.FromException(request, ex);
        }
    }

    [Function("GetRotation")]
    public async Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "rotations/{id}")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var record = await rotations.FindAsync(id, cancellationToken);
        if (record is null)
            return Problems.NotFound(request, $"no rotation '{id}': list rotations with GET /api/rotations?domain=");
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        var progress = instance?.SerializedCustomStatus is { } status ? instance.ReadCustomStatusAs<RotationProgress>() : null;
        return ApiResult.Ok(new
        {
            record.Id,
            record.Domain,
            record.Kind,
            record.Status,
            phase = record.CurrentPhase,
            record.Plan,
            record.Gate,
            targets = record.Targets,
            approvals = record.Approvals,
            record.FailureReason,
            record.CreatedAt,
            record.UpdatedAt,
            orchestration = instance is null ? null : new { status = instance.RuntimeStatus.ToString(), instance.LastUpdatedAt, progress },
            links = StatusLinks.For(request, id),
        });
    }

    [Function("ApproveRotation")]
    public async Task<IActionResult> ApproveAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "rotations/{id}/approve")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var (body, errors) = await RequestBodies.ReadAsync<ApproveRequest>(request, required: true, cancellationToken);
        RotationPhase? phase = null;
        if (body is not null)
        {
            phase = RequestBodies.ParsePhase(body.Phase, "phase", errors);
            if (string.IsNullOrWhiteSpace(body.By))
                RequestBodies.Add(errors, "by", "is required: who approves (recorded in the audit trail)");
        }

        if (errors.Count > 0 || body is null)
            return Problems.Validation(request, errors);
        if (await rotations.FindAsync(id, cancellationToken) is null)
            return Problems.NotFound(request, $"no rotation '{id}'");
        try
        {
            // Record first (the store is the truth and refusals change nothing), then wake the orchestration.
            var record = await rotations.ApproveAsync(id, phase, body.By!, cancellationToken);
            await client.RaiseEventAsync(id, OrchestrationEvents.Approve, new ApprovalSignal(phase, body.By!), cancellationToken);
            return ApiResult.Ok(new { record.Id, record.Status, phase = record.CurrentPhase, approvals = record.Approvals, links = StatusLinks.For(request, id) });
        }
        catch (Exception ex) when (Problems.IsApiProblem(ex))
        {
            return Problems.FromException(request, ex);
        }
    }

    [Function("AbortRotation")]
    public async Task<IActionResult> AbortAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "rotations/{id}/abort")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var (body, errors) = await RequestBodies.ReadAsync<AbortRequest>(request, required: true, cancellationToken);
        if (body is not null && string.IsNullOrWhiteSpace(body.By))
            RequestBodies.Add(errors, "by", "is required: who aborts (recorded in the audit trail)");
        if (errors.Count > 0 || body is null)
            return Problems.Validation(request, errors);
        if (await rotations.FindAsync(id, cancellationToken) is null)
            return Problems.NotFound(request, $"no rotation '{id}'");
        try
        {
            var record = await rotations.AbortAsync(id, body.By!, cancellationToken);
            await client.RaiseEventAsync(id, OrchestrationEvents.Abort, new AbortSignal(body.By!), cancellationToken);
            return new ApiResult(StatusCodes.Status202Accepted, new { record.Id, record.Status, record.Plan, links = StatusLinks.For(request, id) });
        }
        catch (Exception ex) when (Problems.IsApiProblem(ex))
        {
            return Problems.FromException(request, ex);
        }
    }

    [Function("PlanRotation")]
    public async Task<IActionResult> PlanAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "plan")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var domain = request.Query["domain"].ToString();
        if (string.IsNullOrWhiteSpace(domain))
            RequestBodies.Add(errors, "domain", "is required: ?domain=<trust domain>");
        var kind = RequestBodies.ParseKind(request.Query["kind"].ToString(), "kind", errors);
        if (errors.Count > 0)
            return Problems.Validation(request, errors);
        try
        {
            return ApiResult.Ok(await rotations.PreviewAsync(domain, kind!.Value, new RotationPolicy(), cancellationToken));
        }
        catch (Exception ex) when (Problems.IsApiProblem(ex))
        {
            return Problems.FromException(request, ex);
        }
    }

    [Function("Inventory")]
    public async Task<IActionResult> InventoryAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "inventory")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var domain = request.Query["domain"].ToString();
        try
        {
            return ApiResult.Ok(await authorities.InventoryAsync(string.IsNullOrWhiteSpace(domain) ? null : domain, null, cancellationToken));
        }
        catch (Exception ex) when (Problems.IsApiProblem(ex))
        {
            return Problems.FromException(request, ex);
        }
    }

    [Function("Events")]
    public async Task<IActionResult> EventsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "events")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pendingText = request.Query["pending"].ToString();
        var pending = false;
        if (!string.IsNullOrEmpty(pendingText) && !bool.TryParse(pendingText, out pending))
            return Problems.Validation(request, new Dictionary<string, string[]> { ["pending"] = [$"'{pendingText}' is not true or false"] });
        var entries = await store.ReadOutboxAsync(unpublishedOnly: pending, max: 500, cancellationToken);
        return ApiResult.Ok(entries.Select(e => new { e.Sequence, e.Event.Id, e.Event.Type, e.Event.Source, e.Event.Subject, e.Event.Time, data = e.Event.Data, e.PublishedAt }).ToList());
    }
}

using Microsoft.Extensions.DependencyInjection;
using Rotation.Core.Authorities;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Functions.Http;
using Rotation.Functions.Tests.Support;
using Rotation.Infra.Kubernetes.Clusters;

namespace Rotation.Functions.Tests;

/// <summary>The HTTP functions called with real HttpRequests against the test host's DurableTaskClient.</summary>
public sealed class HttpApiTests
{
    private static RotationApi Api(FunctionsHarness harness) => new(
        harness.Rotations, harness.Starter, harness.Services.GetRequiredService<CaService>(), harness.Services.GetRequiredService<IStateStore>());

    [Fact]
    public async Task Start_lists_every_validation_problem_as_problem_details()
    {
        await using var harness = await FunctionsHarness.StartAsync();
        var request = HttpCall.Request("POST", "/api/rotations", """{"kind":"sideways"}""");
        var response = await HttpCall.ExecuteAsync(request, await Api(harness).StartAsync(request, harness.Client, default));

        Assert.Equal(400, response.Status);
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
        Assert.Equal("/problems/validation", (string?)response.Body!["type"]);
        Assert.Equal(400, (int?)response.Body["status"]);
        var errors = response.Body["errors"]!.AsObject();
        Assert.Equal(["domain", "kind", "requestedBy"], errors.Select(e => e.Key).Order());
        Assert.Empty(await harness.Store.ListRotationsAsync());
    }

    [Fact]
    public async Task Start_returns_202_with_key_free_status_links_and_a_second_start_is_refused()
    {
        await using var harness = await FunctionsHarness.StartAsync(recheck: TimeSpan.FromMinutes(5));
        var body = $$"""{"domain":"{{FunctionsHarness.Domain}}","kind":"root","requestedBy":"alice"}""";
        var request = HttpCall.Request("POST", "/api/rotations", body);
        var response = await HttpCall.ExecuteAsync(request, await Api(harness).StartAsync(request, harness.Client, default));

        Assert.Equal(202, response.Status);
        var id = (string)response.Body!["id"]!;
        var status = (string)response.Body["links"]!["status"]!;
        Assert.Equal($"https://rotation-func.example.net/api/rotations/{id}", status);
        Assert.Equal(status, response.Headers["Location"]);
        Assert.DoesNotContain("code=", response.Body.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("?", status, StringComparison.Ordinal);
        Assert.NotNull(await harness.Client.GetInstanceAsync(id));

        var again = HttpCall.Request("POST", "/api/rotations", body);
        var refused = await HttpCall.ExecuteAsync(again, await Api(harness).StartAsync(again, harness.Client, default));
        Assert.Equal(422, refused.Status);
        Assert.Contains("already has an active rotation", (string?)refused.Body!["detail"], StringComparison.Ordinal);
        Assert.Single(await harness.Store.ListRotationsAsync());

        var get = HttpCall.Request("GET", $"/api/rotations/{id}");
        var read = await HttpCall.ExecuteAsync(get, await Api(harness).GetAsync(get, id, harness.Client, default));
        Assert.Equal(200, read.Status);
        Assert.Equal(id, (string?)read.Body!["id"]);
        Assert.NotNull(read.Body["orchestration"]);
        await harness.Client.TerminateInstanceAsync(id);
        await harness.WaitForCompletionAsync(id); // a running activity outlives the terminate: let it end before the home goes
    }

    [Fact]
    public async Task Approve_and_abort_record_in_the_store_and_refusals_are_problems()
    {
        await using var harness = await FunctionsHarness.StartAsync(recheck: TimeSpan.FromMinutes(5));
        var started = await harness.StartRotationAsync(RotationKind.Root, FunctionsHarness.Policy.ApprovingEachPhase(RotationKind.Root));
        var api = Api(harness);

        var bad = HttpCall.Request("POST", $"/api/rotations/{started.Id}/approve", """{"phase":"Sideways"}""");
        var badResponse = await HttpCall.ExecuteAsync(bad, await api.ApproveAsync(bad, started.Id, harness.Client, default));
        Assert.Equal(400, badResponse.Status);
        Assert.Equal(["by", "phase"], badResponse.Body!["errors"]!.AsObject().Select(e => e.Key).Order());

        var missing = HttpCall.Request("POST", "/api/rotations/rot-nope/approve", """{"by":"alice"}""");
        Assert.Equal(404, (await HttpCall.ExecuteAsync(missing, await api.ApproveAsync(missing, "rot-nope", harness.Client, default))).Status);

        var approve = HttpCall.Request("POST", $"/api/rotations/{started.Id}/approve", """{"phase":"Prepare","by":"alice"}""");
        var approved = await HttpCall.ExecuteAsync(approve, await api.ApproveAsync(approve, started.Id, harness.Client, default));
        Assert.Equal(200, approved.Status);
        Assert.Contains((await harness.RecordAsync(started.Id)).Approvals, a => a.ApprovedBy == "alice" && a.Phase == RotationPhase.Prepare);

        var abort = HttpCall.Request("POST", $"/api/rotations/{started.Id}/abort", """{"by":"carol"}""");
        var aborted = await HttpCall.ExecuteAsync(abort, await api.AbortAsync(abort, started.Id, harness.Client, default));
        Assert.Equal(202, aborted.Status);
        var record = await harness.WaitForRecordAsync(started.Id, r => r.IsFinished);
        Assert.Equal(RotationStatus.Aborted, record.Status);
        await harness.WaitForCompletionAsync(started.Id);

        var late = HttpCall.Request("POST", $"/api/rotations/{started.Id}/abort", """{"by":"carol"}""");
        var lateResponse = await HttpCall.ExecuteAsync(late, await api.AbortAsync(late, started.Id, harness.Client, default));
        Assert.Equal(422, lateResponse.Status);
        Assert.Equal("/problems/refused", (string?)lateResponse.Body!["type"]);
    }

    [Fact]
    public async Task Plan_inventory_and_events_answer_and_validate_their_queries()
    {
        await using var harness = await FunctionsHarness.StartAsync();
        var api = Api(harness);

        var noQuery = HttpCall.Request("GET", "/api/plan");
        var invalid = await HttpCall.ExecuteAsync(noQuery, await api.PlanAsync(noQuery, default));
        Assert.Equal(400, invalid.Status);
        Assert.Equal(["domain", "kind"], invalid.Body!["errors"]!.AsObject().Select(e => e.Key).Order());

        var plan = HttpCall.Request("GET", "/api/plan", query: $"?domain={FunctionsHarness.Domain}&kind=intermediate");
        var planned = await HttpCall.ExecuteAsync(plan, await api.PlanAsync(plan, default));
        Assert.Equal(200, planned.Status);
        Assert.Equal(2, planned.Body!["targets"]!.AsArray().Count);
        Assert.Contains(planned.Body["phases"]!.AsArray(), p => (string?)p!["phase"] == "SwitchIssuer");

        var unknown = HttpCall.Request("GET", "/api/plan", query: "?domain=nope.example&kind=root");
        Assert.Equal(422, (await HttpCall.ExecuteAsync(unknown, await api.PlanAsync(unknown, default))).Status);

        var inventory = HttpCall.Request("GET", "/api/inventory");
        var rows = await HttpCall.ExecuteAsync(inventory, await api.InventoryAsync(inventory, default));
        Assert.Equal(200, rows.Status);
        Assert.Equal(["Intermediate", "Root"], rows.Body!.AsArray().Select(r => (string)r!["role"]!).Order());

        var badEvents = HttpCall.Request("GET", "/api/events", query: "?pending=maybe");
        Assert.Equal(400, (await HttpCall.ExecuteAsync(badEvents, await api.EventsAsync(badEvents, default))).Status);
        await harness.Services.GetRequiredService<CaService>().ScanAsync(DateTimeOffset.UtcNow.AddDays(6));
        var events = HttpCall.Request("GET", "/api/events", query: "?pending=true");
        var pending = await HttpCall.ExecuteAsync(events, await api.EventsAsync(events, default));
        Assert.Equal(200, pending.Status);
        Assert.Contains(pending.Body!.AsArray(), e => ((string)e!["type"]!).StartsWith("Rotation.Certificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Clusters_validate_registration_and_refuse_unknown_names()
    {
        await using var harness = await FunctionsHarness.StartAsync();
        var api = new ClusterApi(harness.Services.GetRequiredService<ClusterRegistry>());

        var invalid = HttpCall.Request("POST", "/api/clusters", """{"connection":"carrier-pigeon"}""");
        var response = await HttpCall.ExecuteAsync(invalid, await api.RunAsync(invalid, null, default));
        Assert.Equal(400, response.Status);
        Assert.Equal(["connection", "domain", "name", "targets"], response.Body!["errors"]!.AsObject().Select(e => e.Key).Order());

        var aks = HttpCall.Request("POST", "/api/clusters", $$$"""{"name":"aks-west","domain":"{{{FunctionsHarness.Domain}}}","connection":"aks","aksResourceId":"/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-west","targets":[{"kind":"istio","options":{}}]}""");
        var created = await HttpCall.ExecuteAsync(aks, await api.RunAsync(aks, null, default));
        Assert.Equal(201, created.Status);
        Assert.EndsWith("/api/clusters/aks-west", created.Headers["Location"], StringComparison.Ordinal);

        var list = HttpCall.Request("GET", "/api/clusters");
        var listed = await HttpCall.ExecuteAsync(list, await api.RunAsync(list, null, default));
        Assert.Equal("aks-west", (string?)listed.Body!.AsArray().Single()!["name"]);

        var delete = HttpCall.Request("DELETE", "/api/clusters/aks-west");
        Assert.Equal(204, (await HttpCall.ExecuteAsync(delete, await api.RunAsync(delete, "aks-west", default))).Status);
        var again = HttpCall.Request("DELETE", "/api/clusters/aks-west");
        Assert.Equal(422, (await HttpCall.ExecuteAsync(again, await api.RunAsync(again, "aks-west", default))).Status);
    }
}

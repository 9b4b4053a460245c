using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Rotation.Infra.Kubernetes.Simulator.Seeding;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class AccessTests
{
    private static V1SelfSubjectAccessReview Review(string verb, string resource, string ns) => new()
    {
        Spec = new V1SelfSubjectAccessReviewSpec
        {
            ResourceAttributes = new V1ResourceAttributes { Verb = verb, Resource = resource, NamespaceProperty = ns, Group = "" },
        },
    };

    [Fact]
    public async Task Denied_writes_are_forbidden_and_access_reviews_say_so_beforehand()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.PutSecret("istio-system", "cacerts", new Dictionary<string, string> { ["k"] = "v" });
        h.Server.Access.Deny("update", "secrets", "istio-system");

        var denied = await h.Client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(Review("update", "secrets", "istio-system"));
        var allowedElsewhere = await h.Client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(Review("update", "secrets", "default"));
        var allowedRead = await h.Client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(Review("get", "secrets", "istio-system"));
        var secret = await h.Client.ReadNamespacedSecretAsync("cacerts", "istio-system");
        var forbidden = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.ReplaceNamespacedSecretAsync(secret, "cacerts", "istio-system"));

        Assert.False(denied.Status.Allowed);
        Assert.True(allowedElsewhere.Status.Allowed);
        Assert.True(allowedRead.Status.Allowed);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Response.StatusCode);
        Assert.Equal("Forbidden", SimulatorHarness.StatusOf(forbidden).Reason);
    }
}

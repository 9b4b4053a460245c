using Rotation.Core.Domain;
using Rotation.Functions.Http;
using Rotation.Functions.Tests.Support;

namespace Rotation.Functions.Tests;

/// <summary>How each engine refusal maps to a status and problem type (docs/functions.md lists them).</summary>
public sealed class ProblemsTests
{
    [Theory]
    [InlineData("conflict", 409, "/problems/conflict")]
    [InlineData("unsafe", 409, "/problems/refused-unsafe")]
    [InlineData("domain", 422, "/problems/refused")]
    public async Task An_engine_refusal_becomes_its_problem_type(string kind, int status, string type)
    {
        Exception refusal = kind switch
        {
            "conflict" => new ConcurrencyConflictException("rotation 'rot-1' was changed by someone else: re-read it and retry"),
            "unsafe" => new UnsafeStepException("rotation rot-1 is past the point of no return"),
            _ => new DomainException("unknown trust domain 'nope'"),
        };
        var request = HttpCall.Request("POST", "/api/rotations/rot-1/abort");

        Assert.True(Problems.IsApiProblem(refusal));
        var response = await HttpCall.ExecuteAsync(request, Problems.FromException(request, refusal));

        Assert.Equal(status, response.Status);
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
        Assert.Equal(type, (string?)response.Body!["type"]);
        Assert.Equal(refusal.Message, (string?)response.Body["detail"]);
    }
}

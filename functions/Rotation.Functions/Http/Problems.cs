using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using DurableTask.Core.Exceptions;
using Rotation.Core.Domain;

namespace Rotation.Functions.Http;

/// <summary>
/// RFC 9457 problem details for every error the API returns. "type" names the problem class (a relative URI under
/// /problems/, documented in docs/functions.md); "detail" is the engine's one-line reason with what to do.
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    /// <summary>400 with every problem of the request, by field.</summary>
    public static ApiResult Validation(HttpRequest request, IReadOnlyDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problem = new ValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value))
        {
            Type = "/problems/validation",
            Title = "The request is not valid",
            Status = StatusCodes.Status400BadRequest,
            Detail = string.Join("; ", errors.SelectMany(e => e.Value.Select(v => $"{e.Key}: {v}"))),
            Instance = request.Path.Value,
        };
        return new ApiResult(problem.Status.Value, problem, ContentType);
    }

    public static ApiResult NotFound(HttpRequest request, string detail) =>
        Create(request, StatusCodes.Status404NotFound, "/problems/not-found", "Not found", detail);

    /// <summary>Maps an engine refusal to its status: unsafe → 409, already running → 409, changed under the command → 409, other domain refusals → 422.</summary>
    public static ApiResult FromException(HttpRequest request, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            UnsafeStepException unsafeStep => Create(request, StatusCodes.Status409Conflict, "/problems/refused-unsafe", "Refused for safety", unsafeStep.Message),
            OrchestrationAlreadyExistsException already => Create(request, StatusCodes.Status409Conflict, "/problems/already-running", "Already running", already.Message),
            ConcurrencyConflictException conflict => Create(request, StatusCodes.Status409Conflict, "/problems/conflict", "Changed concurrently", conflict.Message),
            DomainException domain => Create(request, StatusCodes.Status422UnprocessableEntity, "/problems/refused", "Refused", domain.Message),
            _ => throw new InvalidOperationException("not an API problem", exception),
        };
    }

    public static bool IsApiProblem(Exception exception) =>
        exception is DomainException or OrchestrationAlreadyExistsException;

    private static ApiResult Create(HttpRequest request, int status, string type, string title, string detail)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problem = new ProblemDetails { Type = type, Title = title, Status = status, Detail = detail, Instance = request.Path.Value };
        return new ApiResult(status, problem, ContentType);
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Rotation.Core.Rotations;

namespace Rotation.Functions.Http;

/// <summary>POST /api/rotations.</summary>
public sealed record StartRotationRequest(string? Domain, string? Kind, string? RequestedBy, bool ApproveEachPhase = false);

/// <summary>POST /api/rotations/{id}/approve.</summary>
public sealed record ApproveRequest(string? Phase, string? By);

/// <summary>POST /api/rotations/{id}/abort.</summary>
public sealed record AbortRequest(string? By);

/// <summary>Reads JSON bodies and collects every problem instead of stopping at the first.</summary>
public static class RequestBodies
{
    public static async Task<(T? Body, Dictionary<string, string[]> Errors)> ReadAsync<T>(HttpRequest request, bool required, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            if (required)
                errors["body"] = ["a JSON body is required"];
            return (null, errors);
        }

        try
        {
            var body = JsonSerializer.Deserialize<T>(text, ApiJson.Options);
            if (body is null && required)
                errors["body"] = ["a JSON body is required"];
            return (body, errors);
        }
        catch (JsonException ex)
        {
            errors["body"] = [$"not valid JSON for this request: {ex.Message}"];
            return (null, errors);
        }
    }

    public static RotationKind? ParseKind(string? value, string field, Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(errors, field, "is required: 'root' or 'intermediate'");
            return null;
        }

        if (Enum.TryParse<RotationKind>(value, ignoreCase: true, out var kind) && Enum.IsDefined(kind) && !int.TryParse(value, out _))
            return kind;
        Add(errors, field, $"'{value}' is not a rotation kind: use 'root' or 'intermediate'");
        return null;
    }

    public static RotationPhase? ParsePhase(string? value, string field, Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(value))
            return null;
        if (Enum.TryParse<RotationPhase>(value, ignoreCase: true, out var phase) && Enum.IsDefined(phase) && !int.TryParse(value, out _))
            return phase;
        Add(errors, field, $"'{value}' is not a phase: use one of {string.Join(", ", Enum.GetNames<RotationPhase>())}");
        return null;
    }

    public static void Add(Dictionary<string, string[]> errors, string field, string problem)
    {
        ArgumentNullException.ThrowIfNull(errors);
        errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, problem] : [problem];
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rotation.Functions.Http;

/// <summary>The HTTP API's JSON: camelCase, enums as their names, no nulls.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

namespace Rotation.Infra.Kubernetes.Writing;

/// <summary>Walks a paginated LIST (limit + continue) to the end: the gate reads a kind with one LIST, not one GET per namespace.</summary>
internal static class Paged
{
    public static async Task<List<T>> ListAllAsync<T>(Func<string?, Task<(IEnumerable<T> Items, string? Continue)>> page)
    {
        var all = new List<T>();
        string? token = null;
        do
        {
            var (items, next) = await page(token);
            all.AddRange(items);
            token = string.IsNullOrEmpty(next) ? null : next;
        }
        while (token is not null);
        return all;
    }
}

using System.Net;

namespace Rotation.Infra.Kubernetes.Http;

/// <summary>
/// Retries what an API server asks to be retried (429 with Retry-After, 5xx), attempts that time out, and
/// connections that drop. 409 is not retried here: a conflict needs a re-read, which only the writer can do.
/// </summary>
public sealed class RetryHandler : DelegatingHandler
{
    private readonly KubernetesRetryOptions _options;
    private readonly TimeProvider _timeProvider;

    public RetryHandler(KubernetesRetryOptions options, TimeProvider timeProvider)
    {
        _options = options;
        _timeProvider = timeProvider;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var content = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var contentHeaders = request.Content?.Headers.ToList();
        for (var attempt = 1; ; attempt++)
        {
            if (content is not null && attempt > 1)
            {
                // A retried request needs fresh content: the first attempt may have consumed or disposed it.
                var fresh = new ByteArrayContent(content);
                foreach (var header in contentHeaders!)
                    fresh.Headers.TryAddWithoutValidation(header.Key, header.Value);
                request.Content = fresh;
            }

            TimeSpan delay;
            using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptCts.CancelAfter(_options.AttemptTimeout);
            try
            {
                var response = await base.SendAsync(request, attemptCts.Token);
                if (!IsRetryable(response.StatusCode) || attempt >= _options.MaxAttempts)
                    return response;
                delay = RetryAfter(response) ?? Backoff(attempt);
                response.Dispose();
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken) && attempt < _options.MaxAttempts)
            {
                delay = Backoff(attempt);
            }

            await Task.Delay(delay, _timeProvider, cancellationToken);
        }
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static bool IsTransient(Exception ex, CancellationToken callerToken) => ex switch
    {
        // Our per-attempt timeout fired, not the caller's token.
        OperationCanceledException => !callerToken.IsCancellationRequested,
        HttpRequestException or IOException => true,
        _ => false,
    };

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is { } date ? date - _timeProvider.GetUtcNow() : null);
        if (wait is null)
            return null;
        if (wait < TimeSpan.Zero)
            return TimeSpan.Zero;
        return wait > _options.MaxRetryAfter ? _options.MaxRetryAfter : wait;
    }

    private TimeSpan Backoff(int attempt)
    {
        var ticks = _options.InitialBackoff.Ticks * Math.Pow(2, attempt - 1);
        return ticks >= _options.MaxBackoff.Ticks ? _options.MaxBackoff : TimeSpan.FromTicks((long)ticks);
    }
}

using System.Net.Http;
using Thredo.Kernel;

namespace Thredo.IO;

/// <summary>
/// The outermost handler of a <see cref="FiberHttp"/> client: on a fiber, a synchronous
/// <see cref="HttpClient.Send(HttpRequestMessage)"/> runs the inner <see cref="SocketsHttpHandler"/>'s
/// asynchronous path and parks the fiber until it ends; off a fiber it is the handler's own blocking path.
/// </summary>
/// <remarks>
/// <para>
/// Discussion: the handler's synchronous path cannot be made to block only the fiber. It waits for a new
/// connection (made on the thread pool since .NET 6) and for its read-ahead on a pooled connection (always,
/// under TLS: the <see cref="System.Net.Security.SslStream"/> read is awaited inside an async method) by
/// blocking its thread on a <see cref="Task"/>, a wait no stream underneath can turn into a fiber wait, and
/// that no <see cref="Fiber.Cancel()"/> or <see cref="Fiber.TimeoutAfter(TimeSpan)"/> can interrupt. Its
/// asynchronous path never blocks a thread, so the fiber starts it and waits for it with
/// <see cref="Fiber.Await{T}(Task{T})"/>, a cancellation point. Reading the response body synchronously
/// afterwards (<see cref="HttpClient"/> buffering it, or <c>ReadAsStream().Read</c>) goes through the
/// connection's synchronous reads, which park the fiber (<see cref="HttpConnectionStream"/>); the
/// response's content is wrapped so that an interrupt there reaches the fiber as itself, not wrapped by
/// TLS (<see cref="FiberResponseContent"/>).
/// </para>
/// <para>
/// An interrupted fiber leaves the request behind cancelled: the handler then closes its connection (a
/// cancelled request's connection is never returned to the pool), and a response that won the race is
/// disposed, so nothing leaks.
/// </para>
/// </remarks>
internal sealed class FiberHttpHandler(SocketsHttpHandler inner) : DelegatingHandler(inner)
{
    /// <inheritdoc/>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!Fiber.IsOnFiber)
            return base.Send(request, cancellationToken);
        Blocking.Checkpoint();   // an interrupt pending on entry: nothing is sent
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<HttpResponseMessage> sending;
        try
        {
            sending = base.SendAsync(request, cts.Token);
        }
        catch
        {
            cts.Dispose();
            throw;
        }
        try
        {
            HttpResponseMessage response = Fiber.Await(sending);
            cts.Dispose();
            response.Content = new FiberResponseContent(response.Content);
            return response;
        }
        catch (OperationCanceledException e) when (e is FiberCancelledException or FiberTimeoutException)
        {
            Abandon(sending, cts);
            throw;
        }
        catch
        {
            cts.Dispose();   // the request failed by itself: it is over
            throw;
        }
    }

    /// <summary>Cancels a request its fiber stopped waiting for, and cleans up after it when it ends.</summary>
    private static void Abandon(Task<HttpResponseMessage> sending, CancellationTokenSource cts)
    {
        cts.Cancel();
        sending.ContinueWith(static (t, state) =>
        {
            ((CancellationTokenSource)state!).Dispose();
            if (t.IsCompletedSuccessfully)
                t.Result.Dispose();   // it completed before the cancellation reached it
            else
                _ = t.Exception;      // observed: nobody waits for it any more
        }, cts, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}

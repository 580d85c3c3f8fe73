using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Thredo.IO;

/// <summary>
/// HTTP clients for fibers, as thredo's <c>thredo.requests</c>: .NET's own <see cref="HttpClient"/> and
/// <see cref="SocketsHttpHandler"/> (HTTP/1.1, connection pooling, redirects, decompression, TLS for
/// <c>https://</c>), with connections that are Thredo sockets, so that a synchronous
/// <see cref="HttpClient.Send(HttpRequestMessage)"/> on a fiber blocks only that fiber.
/// </summary>
/// <remarks>
/// <para>
/// On a fiber, <c>Send</c> (and the <c>HttpClient</c> helpers built on it) is a cancellation point while
/// it waits for a connection and for the response headers, and so is every synchronous read of the
/// response body. <see cref="Fiber.Cancel()"/> or an expiring <see cref="Fiber.TimeoutAfter(TimeSpan)"/>
/// ends the call with <see cref="FiberCancelledException"/> / <see cref="FiberTimeoutException"/> (never
/// mapped to an <see cref="HttpRequestException"/>), and the connection the request was using is closed,
/// not returned to the pool. One pending on entry is delivered before anything is sent. A cancellation deferred by <see cref="Fiber.DisableCancellation"/> is
/// delivered at the first wait after the scope; one arriving after the response was read is delivered
/// by the next blocking operation. <see cref="HttpClient.Timeout"/> (100 seconds by default) and the
/// caller's <see cref="CancellationToken"/> still apply, as .NET documents them.
/// </para>
/// <para>
/// Off a fiber the client is a plain blocking client (<c>Send</c> blocks the calling thread), and the
/// <c>*Async</c> methods are ordinary asynchronous calls on any thread, fibers included (awaiting them on a
/// fiber, or passing their task to <see cref="Fiber.Await{T}(Task{T})"/>, works too).
/// </para>
/// <para>
/// Create one client and share it among fibers, as with any <see cref="HttpClient"/>: connections are pooled
/// per client, and a fiber's request reuses a connection another fiber's request released.
/// </para>
/// </remarks>
public static class FiberHttp
{
    /// <summary>A client with <see cref="SocketsHttpHandler"/>'s defaults (see <see cref="FiberHttp"/>).</summary>
    /// <returns>A new client; dispose it when done (that closes its pooled connections).</returns>
    public static HttpClient CreateClient() => new(CreateHandler(configure: null), disposeHandler: true);

    /// <summary>
    /// A client whose <see cref="SocketsHttpHandler"/> <paramref name="configure"/> sets up first (TLS
    /// options such as <see cref="SocketsHttpHandler.SslOptions"/>, redirects, pool limits and lifetimes,
    /// proxy, cookies). Its <see cref="SocketsHttpHandler.ConnectCallback"/> is Thredo's and must be left unset.
    /// </summary>
    /// <param name="configure">Sets the handler's properties; called once, before the client exists.</param>
    /// <returns>A new client; dispose it when done.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="configure"/> set a <see cref="SocketsHttpHandler.ConnectCallback"/>.</exception>
    public static HttpClient CreateClient(Action<SocketsHttpHandler> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return new HttpClient(CreateHandler(configure), disposeHandler: true);
    }

    private static FiberHttpHandler CreateHandler(Action<SocketsHttpHandler>? configure)
    {
        var sockets = new SocketsHttpHandler();
        try
        {
            configure?.Invoke(sockets);
            if (sockets.ConnectCallback is not null)
                throw new ArgumentException("FiberHttp opens the connections itself: leave SocketsHttpHandler.ConnectCallback unset.", nameof(configure));
            sockets.ConnectCallback = ConnectAsync;
            return new FiberHttpHandler(sockets);
        }
        catch
        {
            sockets.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a connection and makes it a <see cref="FiberSocket"/>. The handler makes connections apart from
    /// the requests that wait for them, on the thread pool (HttpConnectionPool.InjectNewHttp11ConnectionAsync
    /// yields to it first), so the connect is asynchronous; a fiber waiting for the connection is parked in
    /// <see cref="FiberHttpHandler"/>, interruptible.
    /// </summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        DnsEndPoint target = context.DnsEndPoint;
        // A dual-mode socket reaches IPv4 and IPv6 addresses alike, as the handler's own connect does.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            return new HttpConnectionStream(new FiberSocket(socket));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

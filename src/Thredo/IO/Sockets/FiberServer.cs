using System.Net;
using System.Net.Sockets;

namespace Thredo.IO;

/// <summary>TCP servers with a fiber per client.</summary>
public static class FiberServer
{
    /// <summary>
    /// Listens on <paramref name="endpoint"/> and serves each client in a fiber of its own running
    /// <paramref name="handler"/>; returns only by an exception (typically when the calling fiber is
    /// cancelled or times out). A cancellation point (waiting for the next client).
    /// </summary>
    /// <remarks>
    /// <para>
    /// Clients are members of a <see cref="FiberGroup"/> with <see cref="GroupWait.None"/>. When the
    /// serving fiber is cancelled (or a timeout expires, or the accept fails), the listener is closed
    /// first, then every client fiber is cancelled and waited for; the exception then leaves this method.
    /// </para>
    /// <para>
    /// The client socket is disposed when the handler returns. Accepted sockets have
    /// <see cref="Socket.NoDelay"/> set (request/response servers want small writes sent at once).
    /// A handler that throws (other than by the client fiber's own cancellation) is reported once on
    /// standard error, naming the client, and its client is closed; the server and the other clients
    /// go on. Handlers that expect clients to vanish should catch <see cref="SocketException"/> and
    /// <see cref="IOException"/> themselves.
    /// </para>
    /// </remarks>
    /// <param name="endpoint">Where to listen (port 0 picks a port, but then use <see cref="ServeTcp(FiberSocket, Action{FiberSocket, EndPoint})"/> to learn it).</param>
    /// <param name="handler">Serves one client: the connection and its remote end point.</param>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> or <paramref name="handler"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    /// <exception cref="SocketException">Listening failed (e.g. the address is in use).</exception>
    /// <exception cref="FiberCancelledException">The serving fiber was cancelled (after every client was cancelled).</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the serving fiber expired (after every client was cancelled).</exception>
    public static void ServeTcp(IPEndPoint endpoint, Action<FiberSocket, EndPoint> handler)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(handler);
        _ = Fiber.Current;
        ServeTcp(FiberSocket.ListenTcp(endpoint), handler);
    }

    /// <summary>
    /// Serves clients accepted from <paramref name="listener"/>, which this method owns and closes when
    /// it ends (see <see cref="ServeTcp(IPEndPoint, Action{FiberSocket, EndPoint})"/>). Lets a caller bind
    /// port 0 and read the port from <see cref="FiberSocket.LocalEndPoint"/> before serving. Works with
    /// a Unix domain listener too (the remote end point is then usually unnamed).
    /// </summary>
    /// <param name="listener">A listening socket.</param>
    /// <param name="handler">Serves one client: the connection and its remote end point.</param>
    /// <exception cref="ArgumentNullException"><paramref name="listener"/> or <paramref name="handler"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    /// <exception cref="FiberCancelledException">The serving fiber was cancelled (after every client was cancelled).</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the serving fiber expired (after every client was cancelled).</exception>
    public static void ServeTcp(FiberSocket listener, Action<FiberSocket, EndPoint> handler)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(handler);
        _ = Fiber.Current;
        // Declared first, disposed last: the listener is closed before the clients are cancelled, so
        // no client arrives while the group winds down.
        using var clients = new FiberGroup(GroupWait.None);
        try
        {
            while (true)
            {
                FiberSocket client = AcceptNext(listener);
                EndPoint remote = client.RemoteEndPoint ?? new IPEndPoint(IPAddress.None, 0);
                clients.Spawn(() => Serve(client, remote, handler), $"client {remote}");
            }
        }
        finally
        {
            listener.Dispose();
        }
    }

    /// <summary>Accepts the next client; out of descriptors, it reports that and waits a little instead of ending the server.</summary>
    private static FiberSocket AcceptNext(FiberSocket listener)
    {
        while (true)
        {
            try
            {
                FiberSocket client = listener.Accept();
                if (client.Socket.ProtocolType == ProtocolType.Tcp)
                    client.Socket.NoDelay = true;
                return client;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable or SocketError.ConnectionAborted)
            {
                if (e.SocketErrorCode != SocketError.ConnectionAborted)
                {
                    Fiber.Current.Runtime.Report(Thredo.Kernel.DiagnosticKind.Notice, $"Thredo: FiberServer on {listener.LocalEndPoint}: accept failed ({e.Message}); retrying.");
                    Fiber.Sleep(TimeSpan.FromMilliseconds(100));
                }
            }
        }
    }

    /// <summary>One client's fiber body. Never fails the group: only its own cancellation leaves it.</summary>
    private static void Serve(FiberSocket client, EndPoint remote, Action<FiberSocket, EndPoint> handler)
    {
        using (client)
        {
            try
            {
                handler(client, remote);
            }
            catch (FiberCancelledException)
            {
                throw;   // the server is shutting down (or someone cancelled this client): end as cancelled
            }
#pragma warning disable CA1031 // A handler's failure belongs to its client, never to the server.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Fiber.Current.Runtime.Report(Thredo.Kernel.DiagnosticKind.Failure, $"Thredo: FiberServer handler for client {remote} failed; the client was closed:{Environment.NewLine}{e}");
            }
        }
    }
}

// A socket whose blocking operations park the calling fiber on its kernel's poller.
//
// Every operation has the same shape: try the non-blocking system call; on "would block" wait for
// readiness (Kernel.WaitForIo on a fiber, Socket.Poll on a plain thread) and try again. The wait is the
// cancellation point; a cancellation already pending is also delivered on entry, so a fiber whose
// peer always has data ready can still be cancelled.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Thredo.Fibers;
using Thredo.Kernel;

namespace Thredo.IO;

/// <summary>
/// A <see cref="System.Net.Sockets.Socket"/> in non-blocking mode whose blocking-style operations
/// (connect, accept, receive, send) park the calling fiber, not its kernel: other fibers run while it
/// waits, and the wait is a cancellation point (<see cref="Fiber.Cancel()"/>, <see cref="Fiber.TimeoutAfter(TimeSpan)"/>).
/// Off a fiber the same operations block the calling thread.
/// </summary>
/// <remarks>
/// <para>
/// Several fibers may wait on one socket (an accept loop per kernel, say): readiness wakes them in the
/// order they came, one per event. <see cref="Dispose"/> from any fiber or thread, at any instant, wakes
/// every fiber waiting on the socket with <see cref="ObjectDisposedException"/>, and an operation that
/// the dispose overtook throws it too.
/// </para>
/// <para>
/// Every operation that may wait checks for a pending cancellation or expired timeout on entry, so a
/// loop that never has to wait (its peer always keeps data ready) is still interrupted. One arriving
/// inside <see cref="Fiber.DisableCancellation"/> is delivered at the first operation after the scope,
/// and one arriving after the last wait of a call is delivered by the next blocking operation.
/// </para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class FiberSocket : IDisposable
{
    /// <summary>The socket itself, always with <see cref="Socket.Blocking"/> false.</summary>
    private readonly Socket _socket;

    /// <summary>Its descriptor, read once, as the kernels' pollers know it; closed first by Dispose.</summary>
    private readonly WatchedDescriptor _fd;

    /// <summary>Guards <see cref="_stream"/>.</summary>
    private readonly Lock _lock = new();

    /// <summary>The stream <see cref="GetStream"/> returned (one per socket, so its read-ahead is shared).</summary>
    private FiberStream? _stream;

    /// <summary>Wraps <paramref name="socket"/>, switching it to non-blocking mode. The wrapper owns it from now on.</summary>
    /// <param name="socket">An open socket.</param>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="socket"/> was disposed.</exception>
    public FiberSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.Blocking = false;
        _socket = socket;
        _fd = new WatchedDescriptor(socket.Handle);
    }

    /// <summary>The underlying socket, for options (<see cref="Socket.NoDelay"/>, buffer sizes, ...). Do not make it blocking.</summary>
    public Socket Socket => _socket;

    /// <summary>The local end point, or null if not bound.</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public EndPoint? LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>The peer's end point, or null if not connected.</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public EndPoint? RemoteEndPoint => _socket.RemoteEndPoint;

    // ---- Creating ---------------------------------------------------------------------------

    /// <summary>
    /// Resolves <paramref name="host"/> and connects over TCP to the first of its addresses that accepts,
    /// trying them in the order the resolver gave. A cancellation point: name resolution runs through
    /// <see cref="Fiber.RunBlocking{T}(Func{T})"/> (so other fibers run meanwhile; an interrupt arriving
    /// during it is delivered when the connect waits), and each connect attempt parks the fiber until
    /// it completes. For a connect timeout wrap the call in <see cref="Fiber.TimeoutAfter(TimeSpan)"/>;
    /// the half-open socket is closed when the timeout interrupts it.
    /// </summary>
    /// <param name="host">A host name or a literal IPv4/IPv6 address.</param>
    /// <param name="port">The TCP port, 0 to 65535.</param>
    /// <returns>The connected socket.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 0..65535.</exception>
    /// <exception cref="SocketException">
    /// The name did not resolve (<see cref="SocketError.HostNotFound"/> or what the resolver said), or
    /// every address refused or failed (the last address's error, naming the end point).
    /// </exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or while connecting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired before or while connecting.</exception>
    public static FiberSocket ConnectTcp(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
            throw new ArgumentOutOfRangeException(nameof(port), port, "A TCP port is between 0 and 65535.");
        Blocking.Checkpoint();
        IPAddress[] addresses = Resolve(host);
        SocketException? last = null;
        foreach (IPAddress address in addresses)
        {
            try
            {
                return ConnectTcp(new IPEndPoint(address, port));
            }
            catch (SocketException e)
            {
                last = e;   // try the next address
            }
        }
        throw last!;
    }

    /// <summary>Connects over TCP to <paramref name="endpoint"/> (see <see cref="ConnectTcp(string, int)"/>).</summary>
    /// <param name="endpoint">The address and port to connect to.</param>
    /// <returns>The connected socket.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is null.</exception>
    /// <exception cref="SocketException">The connection was refused or failed; the message names the end point.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or while connecting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired before or while connecting.</exception>
    public static FiberSocket ConnectTcp(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return Connect(new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp), endpoint);
    }

    /// <summary>
    /// Connects to the Unix domain stream socket at <paramref name="path"/>. A cancellation point; while
    /// the listener's backlog is full the fiber retries every millisecond until it gets in, is
    /// cancelled or times out.
    /// </summary>
    /// <param name="path">The socket's file system path.</param>
    /// <returns>The connected socket.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="SocketException">Nothing listens there, or the connect failed.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or while connecting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired before or while connecting.</exception>
    public static FiberSocket ConnectUnix(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Connect(new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified), new UnixDomainSocketEndPoint(path));
    }

    /// <summary>
    /// Creates a TCP socket bound to <paramref name="endpoint"/> and listening. Port 0 picks a free port
    /// (read it from <see cref="LocalEndPoint"/>). SO_REUSEADDR is set (not SO_REUSEPORT), so a restarted
    /// server can bind while old connections linger in TIME_WAIT.
    /// </summary>
    /// <param name="endpoint">The address and port to listen on.</param>
    /// <param name="backlog">The pending-connection queue length (the OS caps it).</param>
    /// <returns>The listening socket; call <see cref="Accept"/> on it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backlog"/> is negative.</exception>
    /// <exception cref="SocketException">The bind or listen failed (e.g. <see cref="SocketError.AddressAlreadyInUse"/>).</exception>
    public static FiberSocket ListenTcp(IPEndPoint endpoint, int backlog = 512)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentOutOfRangeException.ThrowIfNegative(backlog);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        return Listen(socket, endpoint, backlog, reuseAddress: true);
    }

    /// <summary>
    /// Creates a Unix domain stream socket listening at <paramref name="path"/>. The file must not exist;
    /// it is not removed on dispose (delete it yourself).
    /// </summary>
    /// <param name="path">The socket's file system path.</param>
    /// <param name="backlog">The pending-connection queue length.</param>
    /// <returns>The listening socket.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backlog"/> is negative.</exception>
    /// <exception cref="SocketException">The bind or listen failed.</exception>
    public static FiberSocket ListenUnix(string path, int backlog = 512)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegative(backlog);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        return Listen(socket, new UnixDomainSocketEndPoint(path), backlog, reuseAddress: false);
    }

    /// <summary>Creates a UDP socket bound to <paramref name="endpoint"/> (port 0 picks a free port).</summary>
    /// <param name="endpoint">The address and port to bind.</param>
    /// <returns>The bound socket; use <see cref="ReceiveFrom"/> and <see cref="SendTo"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is null.</exception>
    /// <exception cref="SocketException">The bind failed.</exception>
    public static FiberSocket BindUdp(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(endpoint);
            return new FiberSocket(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // ---- Operations -------------------------------------------------------------------------

    /// <summary>
    /// Waits for the next incoming connection and returns it. A cancellation point (on entry and while
    /// waiting); a connection already queued is returned without waiting.
    /// </summary>
    /// <returns>The accepted connection, as a non-blocking <see cref="FiberSocket"/>.</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed before or during the wait.</exception>
    /// <exception cref="SocketException">The accept failed (e.g. too many open files).</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired before or while waiting.</exception>
    public FiberSocket Accept()
    {
        Blocking.Checkpoint();
        while (true)
        {
            Socket accepted;
            // These calls have no error-code form: ask first, so a would-block costs a poll, not an exception.
            if (!_socket.Poll(0, SelectMode.SelectRead))
            {
                WaitReady(PollEvents.Readable, "Accept");
                continue;
            }
            try
            {
                accepted = _socket.Accept();
            }
            catch (SocketException e) when (e.SocketErrorCode != SocketError.WouldBlock && _fd.IsClosed)
            {
                throw Failed(e.SocketErrorCode, "Accept");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                WaitReady(PollEvents.Readable, "Accept");
                continue;
            }
            return new FiberSocket(accepted);
        }
    }

    /// <summary>
    /// Receives whatever has arrived, up to <paramref name="buffer"/>'s length, waiting if nothing has.
    /// A cancellation point (on entry and while waiting). Bypasses the read-ahead of
    /// <see cref="GetStream"/>: after reading lines through the stream, keep reading through it.
    /// </summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <returns>The number of bytes received; 0 at end of stream (the peer shut down its side) or for an empty buffer.</returns>
    /// <exception cref="SocketException">The connection failed (e.g. <see cref="SocketError.ConnectionReset"/>).</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed before or during the wait.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or while waiting; nothing was received.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired before or while waiting; nothing was received.</exception>
    public int Receive(Span<byte> buffer)
    {
        Blocking.Checkpoint();
        while (true)
        {
            int n = _socket.Receive(buffer, SocketFlags.None, out SocketError error);
            if (error == SocketError.Success)
                return n;
            if (error != SocketError.WouldBlock)
                throw Failed(error, "Receive");
            WaitReady(PollEvents.Readable, "Receive");
        }
    }

    /// <summary>
    /// Receives exactly <paramref name="buffer"/>'s length, waiting as often as needed. A cancellation
    /// point. If interrupted, the bytes received so far are in the start of <paramref name="buffer"/>
    /// and the exception (<see cref="IOCancelledException"/> / <see cref="IOTimeoutException"/>) says how many.
    /// </summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <exception cref="EndOfStreamException">The peer ended the stream first.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="IOCancelledException">The fiber was cancelled; <see cref="IOCancelledException.BytesReceived"/> bytes are in the buffer.</exception>
    /// <exception cref="IOTimeoutException">A timeout expired; <see cref="IOTimeoutException.BytesReceived"/> bytes are in the buffer.</exception>
    public void ReceiveExactly(Span<byte> buffer) => IOProgress.ReadExactly(buffer, Receive, "ReceiveExactly");

    /// <summary>
    /// Sends as much of <paramref name="buffer"/> as the socket takes now (at least one byte), waiting
    /// until it takes some. A cancellation point (on entry and while waiting).
    /// </summary>
    /// <param name="buffer">The bytes to send.</param>
    /// <returns>The number of bytes sent (0 only for an empty buffer).</returns>
    /// <exception cref="SocketException">The connection failed (e.g. <see cref="SocketError.ConnectionReset"/>, <see cref="SocketError.Shutdown"/>).</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed before or during the wait.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or while waiting; nothing was sent.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired before or while waiting; nothing was sent.</exception>
    public int Send(ReadOnlySpan<byte> buffer)
    {
        Blocking.Checkpoint();
        while (true)
        {
            int n = _socket.Send(buffer, SocketFlags.None, out SocketError error);
            if (error == SocketError.Success)
                return n;
            if (error != SocketError.WouldBlock)
                throw Failed(error, "Send");
            WaitReady(PollEvents.Writable, "Send");
        }
    }

    /// <summary>
    /// Sends all of <paramref name="buffer"/>, waiting as often as needed. A cancellation point. If
    /// interrupted after sending part of it, throws <see cref="IOCancelledException"/> /
    /// <see cref="IOTimeoutException"/> whose <c>BytesSent</c> says how much went out (resume from there).
    /// </summary>
    /// <param name="buffer">The bytes to send.</param>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="IOCancelledException">The fiber was cancelled; <see cref="IOCancelledException.BytesSent"/> bytes went out.</exception>
    /// <exception cref="IOTimeoutException">A timeout expired; <see cref="IOTimeoutException.BytesSent"/> bytes went out.</exception>
    public void SendAll(ReadOnlySpan<byte> buffer) => IOProgress.WriteAll(buffer, Send, "SendAll");

    /// <summary>
    /// Receives one datagram, waiting if none has arrived. A cancellation point. A datagram longer than
    /// <paramref name="buffer"/> is truncated (<see cref="SocketError.MessageSize"/> is thrown, as by
    /// <see cref="Socket.ReceiveFrom(Span{byte}, ref EndPoint)"/>).
    /// </summary>
    /// <param name="buffer">Where to put the datagram.</param>
    /// <param name="from">In: an end point of the socket's address family (e.g. <c>new IPEndPoint(IPAddress.Any, 0)</c>); out: the sender.</param>
    /// <returns>The datagram's length.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="from"/> is null.</exception>
    /// <exception cref="SocketException">The receive failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed before or during the wait.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired before or while waiting.</exception>
    public int ReceiveFrom(Span<byte> buffer, ref EndPoint from)
    {
        ArgumentNullException.ThrowIfNull(from);
        Blocking.Checkpoint();
        while (true)
        {
            if (!_socket.Poll(0, SelectMode.SelectRead))
            {
                WaitReady(PollEvents.Readable, "ReceiveFrom");
                continue;
            }
            try
            {
                return _socket.ReceiveFrom(buffer, SocketFlags.None, ref from);
            }
            catch (SocketException e) when (e.SocketErrorCode != SocketError.WouldBlock && _fd.IsClosed)
            {
                throw Failed(e.SocketErrorCode, "ReceiveFrom");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                WaitReady(PollEvents.Readable, "ReceiveFrom");
            }
        }
    }

    /// <summary>Sends one datagram to <paramref name="to"/>, waiting while the send buffer is full. A cancellation point.</summary>
    /// <param name="buffer">The datagram.</param>
    /// <param name="to">The destination.</param>
    /// <returns>The number of bytes sent (the whole datagram).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="to"/> is null.</exception>
    /// <exception cref="SocketException">The send failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed before or during the wait.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired before or while waiting.</exception>
    public int SendTo(ReadOnlySpan<byte> buffer, EndPoint to)
    {
        ArgumentNullException.ThrowIfNull(to);
        Blocking.Checkpoint();
        while (true)
        {
            if (!_socket.Poll(0, SelectMode.SelectWrite))
            {
                WaitReady(PollEvents.Writable, "SendTo");
                continue;
            }
            try
            {
                return _socket.SendTo(buffer, SocketFlags.None, to);
            }
            catch (SocketException e) when (e.SocketErrorCode != SocketError.WouldBlock && _fd.IsClosed)
            {
                throw Failed(e.SocketErrorCode, "SendTo");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                WaitReady(PollEvents.Writable, "SendTo");
            }
        }
    }

    /// <summary>Shuts down sending, receiving or both (the peer then reads end of stream). Never blocks.</summary>
    /// <param name="how">Which direction(s).</param>
    /// <exception cref="SocketException">The socket is not connected.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public void Shutdown(SocketShutdown how) => _socket.Shutdown(how);

    /// <summary>
    /// The socket as a <see cref="Stream"/> whose synchronous members block the fiber, so
    /// <see cref="StreamReader"/>, <see cref="StreamWriter"/>, <see cref="BinaryReader"/> and
    /// System.Text.Json's synchronous APIs work on fibers unchanged. Always the same stream; disposing
    /// it disposes the socket.
    /// </summary>
    /// <returns>The stream.</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public FiberStream GetStream()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
            return _stream ??= new FiberStream(new SocketChannel(this));
        }
    }

    /// <summary>
    /// Closes the socket. Idempotent; any thread. A fiber waiting on the socket (in <see cref="Receive"/>,
    /// <see cref="Accept"/>, ...) is woken with <see cref="ObjectDisposedException"/>. Never blocks.
    /// </summary>
    public void Dispose()
    {
        // Unregister before closing: once closed, the descriptor number may be reused by a new socket.
        if (_fd.Close())
            _socket.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        if (_fd.IsClosed)
            return "FiberSocket (disposed)";
        try
        {
            return $"FiberSocket {_socket.SocketType} {_socket.LocalEndPoint?.ToString() ?? "unbound"} -> {_socket.RemoteEndPoint?.ToString() ?? "-"}";
        }
        catch (ObjectDisposedException)
        {
            return "FiberSocket (disposed)";
        }
    }

    // ---- Waiting ----------------------------------------------------------------------------

    /// <summary>
    /// Waits until the socket is ready for <paramref name="interest"/>: parks the fiber on its kernel's
    /// poller, or blocks a plain thread in <see cref="Socket.Poll(int, SelectMode)"/>.
    /// </summary>
    private void WaitReady(PollEvents interest, string operation)
    {
        if (Fiber.CurrentOrNull is not Fiber self)
        {
            _socket.Poll(-1, interest == PollEvents.Readable ? SelectMode.SelectRead : SelectMode.SelectWrite);
            return;
        }
        _fd.Wait(self, interest, operation, this);
    }

    /// <summary>Connects the new socket <paramref name="socket"/> to <paramref name="endpoint"/>, disposing it on any failure or interrupt.</summary>
    private static FiberSocket Connect(Socket socket, EndPoint endpoint)
    {
        FiberSocket fs;
        try
        {
            fs = new FiberSocket(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        try
        {
            fs.ConnectCore(endpoint);
            return fs;
        }
        catch
        {
            fs.Dispose();   // a half-open connect (e.g. interrupted by a timeout) must not leak
            throw;
        }
    }

    private void ConnectCore(EndPoint endpoint)
    {
        Blocking.Checkpoint();
        while (true)
        {
            try
            {
                _socket.Connect(endpoint);
                _ = _socket.RemoteEndPoint;
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
            }
            catch (SocketException e)
            {
                throw ConnectFailed(e.SocketErrorCode, endpoint);
            }
            if (endpoint is UnixDomainSocketEndPoint)
            {
                // A Unix socket's EAGAIN means "the backlog is full": nothing is in progress and no
                // readiness will announce room, so wait a little and try again.
                Fiber.Sleep(TimeSpan.FromMilliseconds(1));
                continue;
            }
            WaitReady(PollEvents.Writable, "Connect");
            // .NET reports SO_ERROR as a SocketError value.
            var error = (SocketError)(int)_socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
            if (error != SocketError.Success)
                throw ConnectFailed(error, endpoint);
            // Let Socket record the completed non-blocking connect and cache the peer's address now:
            // read later, after the peer has gone, getpeername would fail and RemoteEndPoint be null.
            _ = _socket.Connected;
            _ = _socket.RemoteEndPoint;
            return;
        }
    }

    private static FiberSocket Listen(Socket socket, EndPoint endpoint, int backlog, bool reuseAddress)
    {
        try
        {
            if (reuseAddress && OperatingSystem.IsLinux())
                socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            socket.Bind(endpoint);
            socket.Listen(backlog);
            return new FiberSocket(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // Socket.ReuseAddress sets SO_REUSEPORT too on Linux, which lets a second listener bind the same
    // port silently; a server wants only SO_REUSEADDR (bind over TIME_WAIT).
    private const int SolSocket = 1, SoReuseAddr = 2;

    private static IPAddress[] Resolve(string host)
    {
        if (IPAddress.TryParse(host, out IPAddress? literal))
            return [literal];
        IPAddress[] addresses;
        try
        {
            addresses = Fiber.RunBlocking(() => Dns.GetHostAddresses(host));
        }
        catch (SocketException e)
        {
            throw new SocketException((int)e.SocketErrorCode, $"Cannot resolve host '{host}': {e.Message}");
        }
        if (addresses.Length == 0)
            throw new SocketException((int)SocketError.HostNotFound, $"Cannot resolve host '{host}': it has no addresses.");
        return addresses;
    }

    /// <summary>
    /// The exception for a failed <paramref name="operation"/>: <see cref="ObjectDisposedException"/> if the
    /// socket was disposed meanwhile (a close under a system call shows as an abort or a bad descriptor,
    /// but what happened is the documented dispose), else a <see cref="SocketException"/> naming the peer.
    /// </summary>
    private Exception Failed(SocketError error, string operation)
    {
        if (_fd.IsClosed)
            return new ObjectDisposedException(nameof(FiberSocket), $"The socket was disposed during {operation}.");
        EndPoint? peer = null;
        try
        {
            peer = _socket.RemoteEndPoint;
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        return new SocketException((int)error, $"{operation}{(peer is null ? "" : $" (peer {peer})")} failed: {new SocketException((int)error).Message}");
    }

    private static SocketException ConnectFailed(SocketError error, EndPoint endpoint) =>
        new((int)error, $"Cannot connect to {endpoint}: {new SocketException((int)error).Message}");
}

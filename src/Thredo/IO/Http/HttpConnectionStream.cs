using System.Diagnostics;
using System.Net.Sockets;

namespace Thredo.IO;

/// <summary>
/// The stream <see cref="FiberHttp"/>'s <see cref="System.Net.Http.SocketsHttpHandler"/> runs one HTTP
/// connection over (TLS, when there is any, is the handler's <see cref="System.Net.Security.SslStream"/> on
/// top): synchronous members block the fiber (or, off a fiber, the thread); asynchronous members are truly
/// asynchronous on every thread, fibers included.
/// </summary>
/// <remarks>
/// <para>
/// Discussion: why not <see cref="FiberStream"/>, whose <c>ReadAsync</c> on a fiber is its synchronous
/// read? The handler starts a read it does not wait for: when a pooled connection is taken for a new
/// request (HttpConnection.PrepareForReuse) it issues <c>ReadAsync</c> as a liveness probe and read-ahead
/// and expects it to stay pending until the response comes, and its idle-connection scavenger does the same
/// from a timer thread. A fiber read there parks the requesting fiber forever (the server says nothing
/// before the request is sent). So every async member here is an operation of .NET's own socket engine,
/// started without blocking whoever calls it and completed from its threads; the handler then consumes it
/// by awaiting it, which <see cref="FiberHttpHandler"/> arranges never to happen on a blocked fiber thread.
/// </para>
/// <para>
/// The synchronous members are what a fiber reading a response body calls (<c>LoadIntoBuffer</c>,
/// <c>ReadAsStream().Read</c>): they park the fiber on its kernel's poller, a cancellation point. HTTP/1.1
/// cannot resume a message cut in the middle, so an interrupted read or write closes the connection at once:
/// the handler's next use of it fails and it is dropped from the pool, never reused.
/// </para>
/// <para>
/// One read and one write may be in progress at a time (the handler never does more); a synchronous read
/// never overlaps an asynchronous one, because the handler consumes its read-ahead before it reads again.
/// </para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
internal sealed class HttpConnectionStream : Stream
{
    /// <summary>The connection; owned, disposed with the stream.</summary>
    private readonly FiberSocket _socket;

    /// <summary>Set once by Dispose.</summary>
    private volatile bool _disposed;

    /// <summary>Wraps a connected <paramref name="socket"/>, which the stream owns from now on.</summary>
    internal HttpConnectionStream(FiberSocket socket)
    {
        Debug.Assert(socket is not null);
        _socket = socket;
    }

    /// <summary>True until disposed.</summary>
    public override bool CanRead => !_disposed;

    /// <summary>True until disposed.</summary>
    public override bool CanWrite => !_disposed;

    /// <summary>False: a connection has no position.</summary>
    public override bool CanSeek => false;

    /// <summary>Not supported.</summary>
    public override long Length => throw new NotSupportedException("An HTTP connection has no length.");

    /// <summary>Not supported.</summary>
    public override long Position
    {
        get => throw new NotSupportedException("An HTTP connection has no position.");
        set => throw new NotSupportedException("An HTTP connection has no position.");
    }

    // ---- Synchronous: the fiber (or thread) waits ------------------------------------------------

    /// <summary>Receives what has arrived, parking the fiber until something has; an interrupt closes the connection.</summary>
    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _socket.Receive(buffer);
        }
        catch (OperationCanceledException)
        {
            Dispose();
            throw;
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <summary>Sends all of <paramref name="buffer"/>, parking the fiber while the socket is full; an interrupt closes the connection.</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            _socket.SendAll(buffer);
        }
        catch (OperationCanceledException)
        {
            Dispose();
            throw;
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <summary>Does nothing: writes are not buffered.</summary>
    public override void Flush()
    {
    }

    // ---- Asynchronous: .NET's socket engine, on any thread ---------------------------------------

    /// <summary>
    /// Receives asynchronously, never blocking the caller (a fiber included). An empty buffer completes
    /// when data is available, without taking any (the scavenger's zero-byte read).
    /// </summary>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _socket.Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Sends all of <paramref name="buffer"/> asynchronously, never blocking the caller.</summary>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            while (!buffer.IsEmpty)
                buffer = buffer[await _socket.Socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Completes at once: writes are not buffered.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    /// <summary>Not supported.</summary>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("An HTTP connection cannot seek.");

    /// <summary>Not supported.</summary>
    public override void SetLength(long value) => throw new NotSupportedException("An HTTP connection has no length.");

    /// <summary>
    /// Closes the connection. Idempotent, any thread: a fiber waiting on it wakes with
    /// <see cref="ObjectDisposedException"/>, an async operation ends as aborted.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _socket.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override string ToString() => $"HTTP connection over {_socket}";
}

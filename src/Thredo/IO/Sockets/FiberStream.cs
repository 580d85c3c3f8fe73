using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Thredo.Kernel;

namespace Thredo.IO;

/// <summary>
/// A <see cref="Stream"/> over a <see cref="FiberSocket"/> whose synchronous <see cref="Read(Span{byte})"/>,
/// <see cref="Write(ReadOnlySpan{byte})"/> and <see cref="Flush"/> block the fiber, not its kernel: the
/// ordinary synchronous consumers of <see cref="Stream"/> (<see cref="StreamReader"/>, <see cref="StreamWriter"/>,
/// <see cref="BinaryReader"/>, System.Text.Json) work on fibers unchanged, and every wait is a
/// cancellation point. Get it from <see cref="FiberSocket.GetStream"/>.
/// </summary>
/// <remarks>
/// <para>
/// The stream keeps a read-ahead buffer, filled only by <see cref="ReadLine"/>; every read drains it
/// first, so bytes received are never lost, even when a <see cref="ReadLine"/> is interrupted.
/// Writes are not buffered: <see cref="Write(ReadOnlySpan{byte})"/> returns once every byte is handed
/// to the socket, and <see cref="Flush"/> does nothing.
/// </para>
/// <para>
/// The <c>*Async</c> members serve async callers. On a fiber they run the synchronous operation (the
/// fiber, not a thread-pool thread, waits); off a fiber they use the <see cref="System.Net.Sockets.Socket"/>'s
/// own async operations. Do not mix both kinds of readers (or writers) on one stream at the same time.
/// </para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class FiberStream : Stream
{
    /// <summary>Longest line <see cref="ReadLine"/> accepts, so a peer cannot make it buffer without bound.</summary>
    public const int MaxLineLength = 1024 * 1024;

    /// <summary>The socket read and written.</summary>
    private readonly FiberSocket _socket;

    /// <summary>Read-ahead from <see cref="ReadLine"/>; bytes <c>[_start, _end)</c> are not yet returned.</summary>
    private byte[]? _buffer;

    /// <summary>First unread byte of <see cref="_buffer"/>.</summary>
    private int _start;

    /// <summary>End of the valid bytes of <see cref="_buffer"/>.</summary>
    private int _end;

    /// <summary>Where <see cref="ReadLine"/> resumes its search for '\n' (bytes before it have none).</summary>
    private int _scanned;

    /// <summary>Set by Dispose.</summary>
    private bool _disposed;

    internal FiberStream(FiberSocket socket) => _socket = socket;

    /// <summary>The socket underneath.</summary>
    public FiberSocket Socket => _socket;

    /// <summary>True until disposed.</summary>
    public override bool CanRead => !_disposed;

    /// <summary>True until disposed.</summary>
    public override bool CanWrite => !_disposed;

    /// <summary>False: a socket cannot seek.</summary>
    public override bool CanSeek => false;

    /// <summary>Not supported.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Length => throw new NotSupportedException("A socket stream has no length.");

    /// <summary>Not supported.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Position
    {
        get => throw new NotSupportedException("A socket stream has no position.");
        set => throw new NotSupportedException("A socket stream cannot seek.");
    }

    /// <summary>Bytes already received and buffered (by <see cref="ReadLine"/>) that the next read returns without waiting.</summary>
    public int BufferedCount => _end - _start;

    // ---- Reading ----------------------------------------------------------------------------

    /// <summary>
    /// Reads what is available, up to <paramref name="buffer"/>'s length: buffered bytes first, else
    /// what the socket has, waiting until it has some. A cancellation point when it waits (and on entry
    /// when nothing is buffered).
    /// </summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <returns>The number of bytes read; 0 at end of stream or for an empty buffer.</returns>
    /// <exception cref="IOException">The connection failed (the inner exception is the <see cref="SocketException"/>).</exception>
    /// <exception cref="ObjectDisposedException">The stream or socket was disposed.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or while waiting; nothing was read.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired before or while waiting; nothing was read.</exception>
    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_end > _start)
            return TakeBuffered(buffer);
        try
        {
            return _socket.Receive(buffer);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <summary>Reads into <paramref name="buffer"/> at <paramref name="offset"/> (see <see cref="Read(Span{byte})"/>).</summary>
    /// <param name="buffer">The array.</param>
    /// <param name="offset">Where in it to start.</param>
    /// <param name="count">At most how many bytes.</param>
    /// <returns>The number of bytes read; 0 at end of stream.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is outside the array.</exception>
    /// <exception cref="IOException">The connection failed.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired.</exception>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <summary>Reads one byte (see <see cref="Read(Span{byte})"/>).</summary>
    /// <returns>The byte, or -1 at end of stream.</returns>
    /// <exception cref="IOException">The connection failed.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired.</exception>
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    /// <summary>
    /// Reads exactly <paramref name="buffer"/>'s length. A cancellation point. Unlike the inherited
    /// <see cref="Stream.ReadExactly(Span{byte})"/> (which this hides when called through a
    /// <see cref="FiberStream"/>), an interrupt says how far it got: the exception is an
    /// <see cref="IOCancelledException"/> / <see cref="IOTimeoutException"/> whose <c>BytesReceived</c>
    /// first bytes of <paramref name="buffer"/> hold the data received.
    /// </summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <exception cref="EndOfStreamException">The stream ended first.</exception>
    /// <exception cref="IOException">The connection failed.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="IOCancelledException">The fiber was cancelled; <see cref="IOCancelledException.BytesReceived"/> says how many bytes arrived.</exception>
    /// <exception cref="IOTimeoutException">A timeout expired; <see cref="IOTimeoutException.BytesReceived"/> says how many bytes arrived.</exception>
    public new void ReadExactly(Span<byte> buffer)
    {
        int received = 0;
        try
        {
            Blocking.Checkpoint();
            while (received < buffer.Length)
            {
                int n = Read(buffer[received..]);
                if (n == 0)
                    throw new EndOfStreamException($"The stream ended after {received} of {buffer.Length} byte(s).");
                received += n;
            }
        }
        catch (OperationCanceledException e) when (IOProgress.ShouldWrap(e))
        {
            throw IOProgress.Wrap(e, "ReadExactly", 0, received);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes into <paramref name="buffer"/> at <paramref name="offset"/> (see <see cref="ReadExactly(Span{byte})"/>).</summary>
    /// <param name="buffer">The array.</param>
    /// <param name="offset">Where in it to start.</param>
    /// <param name="count">How many bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is outside the array.</exception>
    /// <exception cref="EndOfStreamException">The stream ended first.</exception>
    /// <exception cref="IOCancelledException">The fiber was cancelled; the exception says how many bytes arrived.</exception>
    /// <exception cref="IOTimeoutException">A timeout expired; the exception says how many bytes arrived.</exception>
    public new void ReadExactly(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        ReadExactly(buffer.AsSpan(offset, count));
    }

    /// <summary>
    /// Reads one line of UTF-8 text ending in <c>\n</c> or <c>\r\n</c> (the terminator is not returned).
    /// A cancellation point when it waits. Bytes past the line stay buffered for the next read. If
    /// interrupted, the partial line stays buffered too (nothing received is lost: the next
    /// <see cref="ReadLine"/> or <see cref="Read(Span{byte})"/> returns it), and the exception
    /// (<see cref="IOCancelledException"/> / <see cref="IOTimeoutException"/>) gives its length in <c>BytesReceived</c>.
    /// </summary>
    /// <returns>The line; the unterminated rest if the stream ends in the middle of a line; null at end of stream.</returns>
    /// <exception cref="IOException">The connection failed, or a line is longer than <see cref="MaxLineLength"/> bytes (the bytes stay buffered).</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="IOCancelledException">The fiber was cancelled; the partial line stays buffered.</exception>
    /// <exception cref="IOTimeoutException">A timeout expired; the partial line stays buffered.</exception>
    public string? ReadLine()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            int newline = _buffer is null ? -1 : Array.IndexOf(_buffer, (byte)'\n', _scanned, _end - _scanned);
            if (newline >= 0)
                return TakeLine(newline, newline + 1);
            _scanned = _end;
            if (_end - _start >= MaxLineLength)
                throw new IOException($"A line is longer than {MaxLineLength} bytes.");
            int n;
            try
            {
                n = ReceiveIntoBuffer();
            }
            catch (OperationCanceledException e) when (IOProgress.ShouldWrap(e))
            {
                throw IOProgress.Wrap(e, "ReadLine", 0, _end - _start);
            }
            catch (SocketException e)
            {
                throw new IOException(e.Message, e);
            }
            if (n == 0)
                return _end > _start ? TakeLine(_end, _end) : null;
        }
    }

    /// <summary>Makes room at the end of the read-ahead and receives into it; returns the count (0 at end of stream).</summary>
    private int ReceiveIntoBuffer()
    {
        _buffer ??= new byte[4096];
        if (_start > 0 && _end == _buffer.Length)
        {
            // Slide the unread bytes to the front.
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _scanned -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        int n = _socket.Receive(_buffer.AsSpan(_end));
        _end += n;
        return n;
    }

    /// <summary>Returns the bytes <c>[_start, lineEnd)</c> as a string without its '\r\n' / '\n', and moves past <paramref name="next"/>.</summary>
    private string TakeLine(int lineEnd, int next)
    {
        Debug.Assert(_buffer is not null);
        int length = lineEnd - _start;
        if (lineEnd < next && length > 0 && _buffer[lineEnd - 1] == (byte)'\r')
            length--;
        string line = Encoding.UTF8.GetString(_buffer, _start, length);
        _start = _scanned = next;
        if (_start == _end)
            _start = _end = _scanned = 0;
        return line;
    }

    /// <summary>Copies buffered bytes into <paramref name="destination"/>.</summary>
    private int TakeBuffered(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        _scanned = Math.Max(_scanned, _start);
        if (_start == _end)
            _start = _end = _scanned = 0;
        return n;
    }

    // ---- Writing ----------------------------------------------------------------------------

    /// <summary>
    /// Sends all of <paramref name="buffer"/> (see <see cref="FiberSocket.SendAll"/>). A cancellation
    /// point; if interrupted part-way the exception's <c>BytesSent</c> says how much went out.
    /// </summary>
    /// <param name="buffer">The bytes.</param>
    /// <exception cref="IOException">The connection failed.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="IOCancelledException">The fiber was cancelled; <see cref="IOCancelledException.BytesSent"/> bytes went out.</exception>
    /// <exception cref="IOTimeoutException">A timeout expired; <see cref="IOTimeoutException.BytesSent"/> bytes went out.</exception>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            _socket.SendAll(buffer);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <summary>Sends <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> (see <see cref="Write(ReadOnlySpan{byte})"/>).</summary>
    /// <param name="buffer">The array.</param>
    /// <param name="offset">Where in it to start.</param>
    /// <param name="count">How many bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is outside the array.</exception>
    /// <exception cref="IOException">The connection failed.</exception>
    /// <exception cref="IOCancelledException">The fiber was cancelled; the exception says how much went out.</exception>
    /// <exception cref="IOTimeoutException">A timeout expired; the exception says how much went out.</exception>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <summary>Sends one byte (see <see cref="Write(ReadOnlySpan{byte})"/>).</summary>
    /// <param name="value">The byte.</param>
    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Does nothing: writes are not buffered.</summary>
    public override void Flush()
    {
    }

    // ---- Async ------------------------------------------------------------------------------

    /// <summary>
    /// Reads what is available. On a fiber it runs <see cref="Read(Span{byte})"/> (the fiber waits, and
    /// the returned task is already complete); off a fiber it uses <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/>.
    /// </summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="cancellationToken">Cancels an async wait (off a fiber; on a fiber the fiber's own cancellation applies).</param>
    /// <returns>The number of bytes read; 0 at end of stream.</returns>
    /// <exception cref="IOException">The connection failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled, or the fiber was.</exception>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_end > _start)
            return TakeBuffered(buffer.Span);
        if (Fiber.IsOnFiber)
            return Read(buffer.Span);
        try
        {
            return await _socket.Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <summary>Reads into an array (see <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>).</summary>
    /// <param name="buffer">The array.</param>
    /// <param name="offset">Where in it to start.</param>
    /// <param name="count">At most how many bytes.</param>
    /// <param name="cancellationToken">Cancels an async wait.</param>
    /// <returns>The number of bytes read; 0 at end of stream.</returns>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>
    /// Sends all of <paramref name="buffer"/>. On a fiber it runs <see cref="Write(ReadOnlySpan{byte})"/>;
    /// off a fiber it uses <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/>
    /// until everything is sent.
    /// </summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="cancellationToken">Cancels an async wait (off a fiber).</param>
    /// <returns>A task that completes once every byte is handed to the socket.</returns>
    /// <exception cref="IOException">The connection failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled, or the fiber was.</exception>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (Fiber.IsOnFiber)
        {
            Write(buffer.Span);
            return;
        }
        try
        {
            while (!buffer.IsEmpty)
            {
                int n = await _socket.Socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                buffer = buffer[n..];
            }
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <summary>Sends an array's bytes (see <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>).</summary>
    /// <param name="buffer">The array.</param>
    /// <param name="offset">Where in it to start.</param>
    /// <param name="count">How many bytes.</param>
    /// <param name="cancellationToken">Cancels an async wait.</param>
    /// <returns>A task that completes once every byte is handed to the socket.</returns>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Completes at once: writes are not buffered.</summary>
    /// <param name="cancellationToken">Ignored unless already cancelled.</param>
    /// <returns>A completed task (cancelled if the token is).</returns>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    // ---- Not supported ----------------------------------------------------------------------

    /// <summary>Not supported.</summary>
    /// <param name="offset">Unused.</param>
    /// <param name="origin">Unused.</param>
    /// <returns>Never.</returns>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A socket stream cannot seek.");

    /// <summary>Not supported.</summary>
    /// <param name="value">Unused.</param>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void SetLength(long value) => throw new NotSupportedException("A socket stream has no length.");

    /// <summary>Disposes the socket too (waking a fiber waiting on it with <see cref="ObjectDisposedException"/>). Idempotent.</summary>
    /// <param name="disposing">True when called from <see cref="Stream.Dispose()"/>.</param>
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
    public override string ToString() => $"FiberStream over {_socket} ({BufferedCount} byte(s) buffered)";
}

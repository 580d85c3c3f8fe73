using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Thredo.Kernel;

namespace Thredo.IO;

/// <summary>
/// A <see cref="Stream"/> whose synchronous <see cref="Read(Span{byte})"/> and <see cref="Write(ReadOnlySpan{byte})"/>
/// block the fiber, not its kernel: the ordinary synchronous consumers of <see cref="Stream"/>
/// (<see cref="StreamReader"/>, <see cref="StreamWriter"/>, <see cref="BinaryReader"/>, System.Text.Json)
/// work on fibers unchanged, and every wait is a cancellation point. The one stream type of Thredo's I/O:
/// get it from <see cref="FiberSocket.GetStream"/> (a socket), <see cref="FiberFile.Open(string, FileMode, FileAccess)"/>
/// (a regular file), or <see cref="FiberChildProcess.StandardInput"/>, <see cref="FiberChildProcess.StandardOutput"/>
/// and <see cref="FiberChildProcess.StandardError"/> (a child's pipes).
/// </summary>
/// <remarks>
/// <para>
/// The stream keeps a read-ahead buffer, filled only by <see cref="ReadLine"/>; every read drains it
/// first, so bytes received are never lost, even when a <see cref="ReadLine"/> is interrupted.
/// Writes are not buffered: <see cref="Write(ReadOnlySpan{byte})"/> returns once every byte is handed
/// to the socket, pipe or file, and <see cref="Flush"/> does nothing.
/// </para>
/// <para>
/// How each transport waits: a socket or a pipe parks the fiber on its kernel's poller until it is ready
/// (a cancellation point on entry and while waiting); a regular file, always "ready" to a poller, runs each
/// transfer through <see cref="Fiber.RunBlocking{T}(Func{T})"/> (a cancellation point on entry; the
/// transfer itself is not interrupted, and a cancellation arriving during it is delivered at the next
/// blocking operation). A cancellation deferred by <see cref="Fiber.DisableCancellation"/> is not
/// delivered by any of them. Off a fiber every member blocks the calling thread.
/// </para>
/// <para>
/// One reader and one writer at a time (for a file, which has one position, one fiber or thread in all);
/// a second gets <see cref="InvalidOperationException"/>. Only a file stream can seek
/// (<see cref="CanSeek"/>); its <see cref="Position"/> accounts for bytes buffered by <see cref="ReadLine"/>.
/// </para>
/// <para>
/// The <c>*Async</c> members serve async callers. On a fiber they run the synchronous operation (the
/// fiber, not a thread-pool thread, waits); off a fiber they use the transport's own async operations (a
/// pipe has none: its synchronous operation runs on the thread pool). Do not mix both kinds of readers (or writers) on
/// one stream at the same time.
/// </para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class FiberStream : Stream
{
    /// <summary>Longest line <see cref="ReadLine"/> accepts, so a peer cannot make it buffer without bound.</summary>
    public const int MaxLineLength = 1024 * 1024;

    /// <summary>The transport read and written; owned (disposed with the stream).</summary>
    private readonly ByteChannel _channel;

    /// <summary>Read-ahead from <see cref="ReadLine"/>; bytes <c>[_start, _end)</c> are not yet returned.</summary>
    private byte[]? _buffer;

    /// <summary>First unread byte of <see cref="_buffer"/>.</summary>
    private int _start;

    /// <summary>End of the valid bytes of <see cref="_buffer"/>.</summary>
    private int _end;

    /// <summary>Where <see cref="ReadLine"/> resumes its search for '\n' (bytes before it have none).</summary>
    private int _scanned;

    /// <summary>1 while a read (or, on a seekable channel, any transfer) is in progress: one reader at a time.</summary>
    private int _reading;

    /// <summary>1 while a write is in progress on a channel that cannot seek: one writer at a time.</summary>
    private int _writing;

    /// <summary>Set by Dispose.</summary>
    private bool _disposed;

    /// <summary>Wraps <paramref name="channel"/>, which the stream owns from now on.</summary>
    internal FiberStream(ByteChannel channel) => _channel = channel;

    /// <summary>The socket underneath, for a stream from <see cref="FiberSocket.GetStream"/>.</summary>
    /// <exception cref="NotSupportedException">The stream is over a file or a pipe, not a socket.</exception>
    public FiberSocket Socket => _channel is SocketChannel s
        ? s.Socket
        : throw new NotSupportedException($"{_channel} is not a socket.");

    /// <summary>True until disposed if the transport can be read (a socket, a child's stdout or stderr, a file opened for reading).</summary>
    public override bool CanRead => !_disposed && _channel.CanRead;

    /// <summary>True until disposed if the transport can be written (a socket, a child's stdin, a file opened for writing).</summary>
    public override bool CanWrite => !_disposed && _channel.CanWrite;

    /// <summary>True until disposed for a stream over a regular file; false for a socket or a pipe (a FIFO opened by <see cref="FiberFile.Open(string, FileMode, FileAccess)"/> included).</summary>
    public override bool CanSeek => !_disposed && _channel.CanSeek;

    /// <summary>The file's length (a file stream only). Never blocks.</summary>
    /// <exception cref="NotSupportedException">The stream is over a socket or a pipe.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public override long Length
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _channel.Length;
        }
    }

    /// <summary>
    /// The position of the next byte <see cref="Read(Span{byte})"/> returns (bytes buffered by
    /// <see cref="ReadLine"/> count as not yet read) or <see cref="Write(ReadOnlySpan{byte})"/> writes. A
    /// file stream only; setting it is <see cref="Seek"/> from the beginning. Never blocks.
    /// </summary>
    /// <exception cref="NotSupportedException">The stream is over a socket or a pipe.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public override long Position
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _channel.Position - BufferedCount;
        }
        set => Seek(value, SeekOrigin.Begin);
    }

    /// <summary>Bytes already received and buffered (by <see cref="ReadLine"/>) that the next read returns without waiting.</summary>
    public int BufferedCount => _end - _start;

    // ---- Reading ----------------------------------------------------------------------------

    /// <summary>
    /// Reads what is available, up to <paramref name="buffer"/>'s length: buffered bytes first, else
    /// what the transport has, waiting until it has some. A cancellation point when it waits (and on entry
    /// when nothing is buffered).
    /// </summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <returns>The number of bytes read; 0 at end of stream or for an empty buffer.</returns>
    /// <exception cref="IOException">The transport failed (for a socket the inner exception is the <see cref="SocketException"/>).</exception>
    /// <exception cref="NotSupportedException">The stream cannot be read (a child's stdin, a file opened for writing only).</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another fiber or thread is reading the stream now.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or while waiting; nothing was read.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the fiber expired before or while waiting; nothing was read.</exception>
    public override int Read(Span<byte> buffer)
    {
        EnterRead();
        try
        {
            if (_end > _start)
                return TakeBuffered(buffer);
            return _channel.Read(buffer);
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>Reads into <paramref name="buffer"/> at <paramref name="offset"/> (see <see cref="Read(Span{byte})"/>).</summary>
    /// <param name="buffer">The array.</param>
    /// <param name="offset">Where in it to start.</param>
    /// <param name="count">At most how many bytes.</param>
    /// <returns>The number of bytes read; 0 at end of stream.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is outside the array.</exception>
    /// <exception cref="IOException">The transport failed.</exception>
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
    /// <exception cref="IOException">The transport failed.</exception>
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
    /// <exception cref="IOException">The transport failed.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="IOCancelledException">The fiber was cancelled; <see cref="IOCancelledException.BytesReceived"/> says how many bytes arrived.</exception>
    /// <exception cref="IOTimeoutException">A timeout expired; <see cref="IOTimeoutException.BytesReceived"/> says how many bytes arrived.</exception>
    public new void ReadExactly(Span<byte> buffer) => IOProgress.ReadExactly(buffer, Read, "ReadExactly");

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
    /// <exception cref="IOException">The transport failed, or a line is longer than <see cref="MaxLineLength"/> bytes (the bytes stay buffered).</exception>
    /// <exception cref="NotSupportedException">The stream cannot be read.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another fiber or thread is reading the stream now.</exception>
    /// <exception cref="IOCancelledException">The fiber was cancelled; the partial line stays buffered.</exception>
    /// <exception cref="IOTimeoutException">A timeout expired; the partial line stays buffered.</exception>
    public string? ReadLine()
    {
        EnterRead();
        try
        {
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
                if (n == 0)
                    return _end > _start ? TakeLine(_end, _end) : null;
            }
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
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
        int n = _channel.Read(_buffer.AsSpan(_end));
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

    /// <summary>Drops the read-ahead, moving a seekable channel back over it so that nothing is skipped.</summary>
    private void DiscardReadAhead()
    {
        if (_end > _start)
        {
            Debug.Assert(_channel.CanSeek);
            _channel.Seek(_start - _end, SeekOrigin.Current);
        }
        _start = _end = _scanned = 0;
    }

    /// <summary>Checks the stream is open and readable and takes the reader's turn (released by writing 0 to <see cref="_reading"/>).</summary>
    private void EnterRead()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_channel.CanRead)
            throw new NotSupportedException($"{_channel} cannot be read.");
        if (Interlocked.Exchange(ref _reading, 1) != 0)
            throw new InvalidOperationException($"Another fiber or thread is already reading {_channel}; one reader at a time.");
    }

    /// <summary>
    /// Checks the stream is open and writable and takes the writer's turn. A seekable channel (a file) has
    /// one position for both directions, so its writer takes the reader's flag and the two exclude each other.
    /// </summary>
    private ref int EnterWrite()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_channel.CanWrite)
            throw new NotSupportedException($"{_channel} cannot be written.");
        ref int turn = ref _channel.CanSeek ? ref _reading : ref _writing;
        if (Interlocked.Exchange(ref turn, 1) != 0)
            throw new InvalidOperationException($"Another fiber or thread is already {(_channel.CanSeek ? "using" : "writing")} {_channel}; one {(_channel.CanSeek ? "at a time" : "writer at a time")}.");
        return ref turn;
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
    /// Writes all of <paramref name="buffer"/>, waiting as often as the transport needs (a socket's or
    /// pipe's buffer is full). A cancellation point (on entry and while waiting); if interrupted part-way
    /// the exception's <c>BytesSent</c> says how much went out. On a file stream, bytes buffered by
    /// <see cref="ReadLine"/> are dropped first and the write lands at <see cref="Position"/>.
    /// </summary>
    /// <param name="buffer">The bytes.</param>
    /// <exception cref="IOException">The transport failed (a child's stdin: the child closed it or ended).</exception>
    /// <exception cref="NotSupportedException">The stream cannot be written (a child's stdout or stderr, a file opened for reading only).</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another fiber or thread is writing the stream now.</exception>
    /// <exception cref="IOCancelledException">The fiber was cancelled; <see cref="IOCancelledException.BytesSent"/> bytes went out.</exception>
    /// <exception cref="IOTimeoutException">A timeout expired; <see cref="IOTimeoutException.BytesSent"/> bytes went out.</exception>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ref int turn = ref EnterWrite();
        try
        {
            if (_channel.CanSeek)
                DiscardReadAhead();
            IOProgress.WriteAll(buffer, _channel.Write, "Write");
        }
        finally
        {
            Volatile.Write(ref turn, 0);
        }
    }

    /// <summary>Sends <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> (see <see cref="Write(ReadOnlySpan{byte})"/>).</summary>
    /// <param name="buffer">The array.</param>
    /// <param name="offset">Where in it to start.</param>
    /// <param name="count">How many bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is outside the array.</exception>
    /// <exception cref="IOException">The transport failed.</exception>
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
    /// the returned task is already complete); off a fiber it uses the transport's async I/O
    /// (<see cref="System.Net.Sockets.Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/>, <see cref="FileStream.ReadAsync(Memory{byte}, CancellationToken)"/>;
    /// a pipe's synchronous read on the thread pool).
    /// </summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="cancellationToken">Cancels an async wait (off a fiber; on a fiber the fiber's own cancellation applies).</param>
    /// <returns>The number of bytes read; 0 at end of stream.</returns>
    /// <exception cref="IOException">The transport failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled, or the fiber was.</exception>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_end > _start)
            return TakeBuffered(buffer.Span);
        if (Fiber.IsOnFiber)
            return Read(buffer.Span);
        if (!_channel.CanRead)
            throw new NotSupportedException($"{_channel} cannot be read.");
        return await _channel.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
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
    /// Writes all of <paramref name="buffer"/>. On a fiber it runs <see cref="Write(ReadOnlySpan{byte})"/>;
    /// off a fiber it uses the transport's async I/O until everything is written.
    /// </summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="cancellationToken">Cancels an async wait (off a fiber).</param>
    /// <returns>A task that completes once every byte is handed to the transport.</returns>
    /// <exception cref="IOException">The transport failed.</exception>
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
        if (!_channel.CanWrite)
            throw new NotSupportedException($"{_channel} cannot be written.");
        await _channel.WriteAllAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends an array's bytes (see <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>).</summary>
    /// <param name="buffer">The array.</param>
    /// <param name="offset">Where in it to start.</param>
    /// <param name="count">How many bytes.</param>
    /// <param name="cancellationToken">Cancels an async wait.</param>
    /// <returns>A task that completes once every byte is handed to the transport.</returns>
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

    // ---- Seeking (files only) ---------------------------------------------------------------

    /// <summary>Moves the position of a file stream, dropping bytes buffered by <see cref="ReadLine"/> (an offset from <see cref="SeekOrigin.Current"/> counts from <see cref="Position"/>). Never blocks.</summary>
    /// <param name="offset">The offset from <paramref name="origin"/>.</param>
    /// <param name="origin">Where <paramref name="offset"/> counts from.</param>
    /// <returns>The new position.</returns>
    /// <exception cref="NotSupportedException">The stream is over a socket or a pipe.</exception>
    /// <exception cref="IOException">The position would be before the start of the file.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public override long Seek(long offset, SeekOrigin origin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_channel.CanSeek)
            DiscardReadAhead();
        return _channel.Seek(offset, origin);   // a socket's or pipe's throws NotSupportedException, naming it
    }

    /// <summary>Truncates or extends a file stream, dropping bytes buffered by <see cref="ReadLine"/>. Never blocks.</summary>
    /// <param name="value">The new length.</param>
    /// <exception cref="NotSupportedException">The stream is over a socket or a pipe, or cannot be written.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public override void SetLength(long value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_channel.CanSeek)
            DiscardReadAhead();
        _channel.SetLength(value);
    }

    /// <summary>
    /// Closes the transport too. Idempotent; never throws a cancellation. A fiber waiting on a socket or pipe
    /// is woken with <see cref="ObjectDisposedException"/>; a pipe to a child's stdin makes the child read
    /// end of file; a file is closed off the kernel, uninterruptibly (a cancellation pending now stays
    /// pending for the next blocking operation, so a <c>using</c> block unwinding for one still closes it).
    /// </summary>
    /// <param name="disposing">True when called from <see cref="Stream.Dispose()"/>.</param>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _channel.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override string ToString() => $"FiberStream over {_channel} ({BufferedCount} byte(s) buffered)";
}

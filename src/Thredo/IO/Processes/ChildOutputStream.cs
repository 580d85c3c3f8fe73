using System.Text;
using Thredo.Fibers;

namespace Thredo.IO;

/// <summary>
/// The parent's read end of a child's stdout or stderr pipe (non-blocking): a read that finds nothing parks
/// the fiber on the kernel's poller. Buffered, so <see cref="ReadLine"/> and <see cref="Read(Span{byte})"/>
/// can be mixed, and a line read interrupted by cancellation keeps what it had received for the next read.
/// </summary>
internal sealed class ChildOutputStream : Stream
{
    private readonly PolledDescriptor _fd;
    private readonly string _name;           // "stdout of 'ls' (pid 42)", for messages and deadlock reports
    private byte[] _buffer = new byte[4096]; // bytes received and not yet consumed: [_start, _end)
    private int _start, _end;
    private bool _eof;                       // the pipe reported end of file
    private int _reading;                    // 1 while a read is in progress (one reader at a time)

    internal ChildOutputStream(FileDescriptorHandle readEnd, string name)
    {
        _fd = new PolledDescriptor(readEnd);
        _name = name;
    }

    /// <inheritdoc/>
    public override bool CanRead => !_fd.IsDisposed;
    /// <inheritdoc/>
    public override bool CanWrite => false;
    /// <inheritdoc/>
    public override bool CanSeek => false;
    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();
    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Bytes received and not yet consumed (a snapshot, for diagnostics and tests).</summary>
    internal int BufferedCount => Volatile.Read(ref _end) - Volatile.Read(ref _start);

    /// <summary>
    /// Reads what is available (at least one byte), blocking the fiber (a cancellation point) or the thread
    /// until something arrives; 0 at end of file.
    /// </summary>
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
            return 0;
        EnterRead();
        try
        {
            if (_start == _end && !_eof)
                FillOnce();
            int n = Math.Min(buffer.Length, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(buffer);
            _start += n;
            return n;
        }
        finally
        {
            ExitRead();
        }
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <summary>
    /// Reads one line (without its <c>\n</c> or <c>\r\n</c>), decoded as UTF-8; the last line may lack its
    /// newline; null at end of file. If interrupted with part of a line received, those bytes stay buffered
    /// and the exception (<see cref="IOCancelledException"/> / <see cref="IOTimeoutException"/>) gives their count.
    /// </summary>
    internal string? ReadLine()
    {
        EnterRead();
        try
        {
            int scanned = 0;   // bytes of [_start, _end) known to hold no '\n'
            while (true)
            {
                int nl = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)'\n');
                if (nl >= 0)
                {
                    int length = scanned + nl;
                    string line = Decode(_buffer.AsSpan(_start, length));
                    _start += length + 1;
                    return line;
                }
                scanned = _end - _start;
                if (_eof)
                {
                    if (scanned == 0)
                        return null;
                    string last = Decode(_buffer.AsSpan(_start, scanned));
                    _start = _end;
                    return last;
                }
                FillOnce();
            }
        }
        catch (OperationCanceledException e) when (_end > _start && IOProgress.ShouldWrap(e))
        {
            throw IOProgress.Wrap(e, "ReadLine", 0, _end - _start);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>Reads everything up to end of file.</summary>
    internal byte[] ReadToEnd()
    {
        EnterRead();
        try
        {
            while (!_eof)
                FillOnce();
            byte[] all = _buffer.AsSpan(_start, _end - _start).ToArray();
            _start = _end;
            return all;
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>Appends one read's worth to the buffer (waiting as needed), or sets <see cref="_eof"/>.</summary>
    private void FillOnce()
    {
        if (_start == _end)
            _start = _end = 0;
        if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            else
                Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        while (true)
        {
            int n = _fd.Handle.Read(_buffer.AsSpan(_end));
            if (n > 0)
            {
                _end += n;
                return;
            }
            if (n == 0)
            {
                _eof = true;
                return;
            }
            if (n != -PosixErrno.EAGAIN)
                PosixError.Throw(-n, $"Reading the {_name}");
            _fd.WaitReady(PollEvents.Readable, "Read", this);
        }
    }

    private static string Decode(ReadOnlySpan<byte> line)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r')
            line = line[..^1];
        return Encoding.UTF8.GetString(line);
    }

    private void EnterRead()
    {
        ObjectDisposedException.ThrowIf(_fd.IsDisposed, this);
        if (Interlocked.Exchange(ref _reading, 1) != 0)
            throw new InvalidOperationException($"Another fiber or thread is already reading the {_name}; one reader at a time.");
    }

    private void ExitRead() => Volatile.Write(ref _reading, 0);

    /// <inheritdoc/>
    public override void Flush() { }
    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();
    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _fd.Dispose();
        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{_name} ({_end - _start} bytes buffered{(_eof ? ", at end" : "")})";
}

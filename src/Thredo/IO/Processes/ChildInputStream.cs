using Thredo.Fibers;

namespace Thredo.IO;

/// <summary>
/// The parent's write end of a child's stdin pipe (non-blocking): a write that finds the pipe full parks the
/// fiber on the kernel's poller until the child has read some. Unbuffered: <see cref="Flush"/> does nothing.
/// Dispose it to send end of file.
/// </summary>
internal sealed class ChildInputStream : Stream
{
    private readonly PolledDescriptor _fd;
    private readonly string _name;   // "stdin of 'cat' (pid 42)"
    private int _writing;            // 1 while a write is in progress (one writer at a time)

    internal ChildInputStream(FileDescriptorHandle writeEnd, string name)
    {
        _fd = new PolledDescriptor(writeEnd);
        _name = name;
    }

    /// <inheritdoc/>
    public override bool CanRead => false;
    /// <inheritdoc/>
    public override bool CanWrite => !_fd.IsDisposed;
    /// <inheritdoc/>
    public override bool CanSeek => false;
    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();
    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>
    /// Writes all of <paramref name="buffer"/>, blocking the fiber (a cancellation point) or the thread
    /// while the pipe is full. If interrupted after part of it went out, the exception is an
    /// <see cref="IOCancelledException"/> / <see cref="IOTimeoutException"/> whose <c>BytesSent</c> says how much.
    /// </summary>
    /// <exception cref="IOException">The child closed its stdin or ended (EPIPE), or another error.</exception>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_fd.IsDisposed, this);
        if (Interlocked.Exchange(ref _writing, 1) != 0)
            throw new InvalidOperationException($"Another fiber or thread is already writing the {_name}; one writer at a time.");
        long sent = 0;
        try
        {
            while (!buffer.IsEmpty)
            {
                int n = _fd.Handle.Write(buffer);
                if (n >= 0)
                {
                    buffer = buffer[n..];
                    sent += n;
                    continue;
                }
                if (n != -PosixErrno.EAGAIN)
                    PosixError.Throw(-n, $"Writing the {_name}");
                _fd.WaitReady(PollEvents.Writable, "Write", this);
            }
        }
        catch (OperationCanceledException e) when (sent > 0 && IOProgress.ShouldWrap(e))
        {
            throw IOProgress.Wrap(e, "Write", sent, 0);
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override void Flush() { }
    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _fd.Dispose();
        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override string ToString() => _name;
}

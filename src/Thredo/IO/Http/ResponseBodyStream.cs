using System.Runtime.ExceptionServices;

namespace Thredo.IO;

/// <summary>
/// A response body's stream as <see cref="FiberResponseContent"/> hands it out: reads pass through, and a
/// synchronous read interrupted on a fiber throws the fiber's interrupt itself, not the
/// <see cref="IOException"/> TLS wraps it in.
/// </summary>
internal sealed class ResponseBodyStream(Stream inner) : Stream
{
    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException("A response body has no length; read it to its end.");

    public override long Position
    {
        get => throw new NotSupportedException("A response body has no position.");
        set => throw new NotSupportedException("A response body has no position.");
    }

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return inner.Read(buffer);
        }
        catch (Exception e) when (e is not OperationCanceledException && FiberResponseContent.FindInterrupt(e) is { } interrupt)
        {
            ExceptionDispatchInfo.Throw(interrupt);
            throw;   // not reached
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A response body cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("A response body is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A response body is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}

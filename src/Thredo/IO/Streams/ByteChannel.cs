namespace Thredo.IO;

/// <summary>
/// What a <see cref="FiberStream"/> reads and writes: one transport (a socket, a pollable descriptor such
/// as a pipe end, a regular file) reduced to single blocking steps that block the fiber, not its kernel.
/// </summary>
/// <remarks>
/// <para>
/// A channel does no buffering and tracks no progress: <see cref="FiberStream"/> owns the read-ahead, the
/// loops (write everything, read exactly, read a line), the one-reader-one-writer rule and the wrapping of
/// an interrupt into <see cref="IOCancelledException"/> / <see cref="IOTimeoutException"/>. So each
/// method here makes at most one transfer, and an interrupt it throws is the plain one the kernel
/// delivered (nothing was transferred by that call).
/// </para>
/// <para>
/// Failures of the transport are <see cref="IOException"/>s (a channel translates its own exception type,
/// such as <see cref="System.Net.Sockets.SocketException"/>, keeping it as the inner exception). Arguments
/// were checked by the stream; channels only assert.
/// </para>
/// </remarks>
internal abstract class ByteChannel : IDisposable
{
    /// <summary>True if <see cref="Read"/> may be called (fixed for the channel's life).</summary>
    internal abstract bool CanRead { get; }

    /// <summary>True if <see cref="Write"/> may be called (fixed for the channel's life).</summary>
    internal abstract bool CanWrite { get; }

    /// <summary>True if the channel has a length and a position (a regular file); false for streams of bytes.</summary>
    internal virtual bool CanSeek => false;

    /// <summary>
    /// Reads what is available, up to <paramref name="buffer"/>'s length, waiting until something is. A
    /// cancellation point (on entry and while waiting).
    /// </summary>
    /// <returns>The number of bytes read; 0 at end of stream or for an empty buffer.</returns>
    internal abstract int Read(Span<byte> buffer);

    /// <summary>
    /// Writes some of <paramref name="buffer"/> (at least one byte unless it is empty), waiting until the
    /// transport takes some. A cancellation point (on entry and while waiting).
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    internal abstract int Write(ReadOnlySpan<byte> buffer);

    /// <summary>
    /// Off a fiber, reads asynchronously. By default the synchronous <see cref="Read"/> runs on the thread
    /// pool (blocking a pool thread while it waits); a transport with async I/O of its own overrides this.
    /// </summary>
    internal virtual ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        new(Task.Run(() => Read(buffer.Span), cancellationToken));

    /// <summary>Off a fiber, writes all of <paramref name="buffer"/> asynchronously (by default through <see cref="Write"/> on the thread pool).</summary>
    internal virtual ValueTask WriteAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
        new(Task.Run(() =>
        {
            for (ReadOnlyMemory<byte> rest = buffer; !rest.IsEmpty;)
                rest = rest[Write(rest.Span)..];
        }, cancellationToken));

    /// <summary>The length, for a seekable channel.</summary>
    /// <exception cref="NotSupportedException">The channel cannot seek.</exception>
    internal virtual long Length => throw NotSeekable();

    /// <summary>The position of the next transfer, for a seekable channel.</summary>
    /// <exception cref="NotSupportedException">The channel cannot seek.</exception>
    internal virtual long Position => throw NotSeekable();

    /// <summary>Moves the position, for a seekable channel; returns the new position.</summary>
    /// <exception cref="NotSupportedException">The channel cannot seek.</exception>
    internal virtual long Seek(long offset, SeekOrigin origin) => throw NotSeekable();

    /// <summary>Truncates or extends, for a seekable channel.</summary>
    /// <exception cref="NotSupportedException">The channel cannot seek.</exception>
    internal virtual void SetLength(long value) => throw NotSeekable();

    /// <summary>
    /// Closes the transport. Idempotent; never throws a cancellation. A fiber waiting on the channel is woken
    /// with <see cref="ObjectDisposedException"/>.
    /// </summary>
    public abstract void Dispose();

    private NotSupportedException NotSeekable() => new($"{this} has no length or position and cannot seek.");
}

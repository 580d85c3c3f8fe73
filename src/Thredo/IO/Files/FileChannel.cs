using System.Buffers;

namespace Thredo.IO;

/// <summary>
/// A regular file as the channel of a <see cref="FiberStream"/>. Regular files are always "ready" to a
/// poller, so each transfer runs through <see cref="Fiber.RunBlocking{T}(Func{T})"/>: the fiber gives its
/// kernel's baton away while the OS works (a cancellation point on entry only; the transfer itself is not
/// interrupted). Off a fiber the file is used directly, and the async members use its own async I/O.
/// </summary>
/// <remarks>
/// The <see cref="FileStream"/> is opened unbuffered (see <see cref="FiberFile.Open(string, FileMode, FileAccess)"/>),
/// so every write reaches the OS at once, as on the other channels; buffering is the caller's
/// (<see cref="StreamWriter"/>, <see cref="BufferedStream"/>). Length, position and seeking touch no data and
/// call the file directly.
/// </remarks>
internal sealed class FileChannel(FileStream file) : ByteChannel
{
    /// <summary>The open, unbuffered file.</summary>
    private readonly FileStream _file = file;

    /// <inheritdoc/>
    internal override bool CanRead => _file.CanRead;

    /// <inheritdoc/>
    internal override bool CanWrite => _file.CanWrite;

    /// <inheritdoc/>
    internal override bool CanSeek => _file.CanSeek;

    /// <inheritdoc/>
    internal override int Read(Span<byte> buffer)
    {
        if (!Fiber.IsOnFiber)
            return _file.Read(buffer);
        // A span cannot be captured by the lambda that runs off the kernel: read into a rented array, then copy.
        int length = buffer.Length;
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int n = Fiber.RunBlocking(() => _file.Read(rented, 0, length));
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes all of <paramref name="buffer"/> (a file takes everything in one step). A cancellation point on entry.</summary>
    internal override int Write(ReadOnlySpan<byte> buffer)
    {
        if (!Fiber.IsOnFiber)
        {
            _file.Write(buffer);
            return buffer.Length;
        }
        int length = buffer.Length;
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.CopyTo(rented);
            Fiber.RunBlocking(() => _file.Write(rented, 0, length));
            return length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc/>
    internal override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _file.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc/>
    internal override ValueTask WriteAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
        _file.WriteAsync(buffer, cancellationToken);

    /// <inheritdoc/>
    internal override long Length => _file.Length;

    /// <inheritdoc/>
    internal override long Position => _file.Position;

    /// <inheritdoc/>
    internal override long Seek(long offset, SeekOrigin origin) => _file.Seek(offset, origin);

    /// <inheritdoc/>
    internal override void SetLength(long value) => _file.SetLength(value);

    /// <summary>
    /// Closes the file off the kernel. Uninterruptible: a cancellation pending now stays pending for the next
    /// blocking operation, so a <c>using</c> block unwinding for a cancellation still closes it. Idempotent.
    /// </summary>
    public override void Dispose()
    {
        if (Fiber.IsOnFiber)
        {
            using (Fiber.DisableCancellation())
                Fiber.RunBlocking(_file.Dispose);
        }
        else
            _file.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"file '{_file.Name}'";
}

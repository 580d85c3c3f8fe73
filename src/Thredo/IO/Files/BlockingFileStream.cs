namespace Thredo.IO;

/// <summary>
/// A <see cref="FileStream"/> whose synchronous I/O runs through <see cref="Fiber.RunBlocking{T}(Func{T})"/>
/// (see <see cref="FiberFile.OpenStream"/>). Seeking, length and position touch no data, so they call the
/// file directly; the async members use the file's own async I/O.
/// </summary>
internal sealed class BlockingFileStream(FileStream file) : Stream
{
    private readonly FileStream _file = file;

    /// <inheritdoc/>
    public override bool CanRead => _file.CanRead;
    /// <inheritdoc/>
    public override bool CanWrite => _file.CanWrite;
    /// <inheritdoc/>
    public override bool CanSeek => _file.CanSeek;
    /// <inheritdoc/>
    public override long Length => _file.Length;
    /// <inheritdoc/>
    public override long Position { get => _file.Position; set => _file.Position = value; }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        if (!Fiber.IsOnFiber)
            return _file.Read(buffer);
        // A span cannot be captured by the lambda: read into a rented array, then copy.
        int length = buffer.Length;
        byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int n = Fiber.RunBlocking(() => _file.Read(rented, 0, length));
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Fiber.RunBlocking(() => _file.Read(buffer, offset, count));
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!Fiber.IsOnFiber)
        {
            _file.Write(buffer);
            return;
        }
        byte[] copy = buffer.ToArray();
        Fiber.RunBlocking(() => _file.Write(copy, 0, copy.Length));
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Fiber.RunBlocking(() => _file.Write(buffer, offset, count));
    }

    /// <inheritdoc/>
    public override void Flush() => Fiber.RunBlocking(() => _file.Flush());

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _file.ReadAsync(buffer, offset, count, cancellationToken);
    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _file.ReadAsync(buffer, cancellationToken);
    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _file.WriteAsync(buffer, offset, count, cancellationToken);
    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _file.WriteAsync(buffer, cancellationToken);
    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => _file.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => _file.Seek(offset, origin);
    /// <inheritdoc/>
    public override void SetLength(long value) => _file.SetLength(value);

    /// <summary>
    /// Flushes and closes the file off the kernel. Uninterruptible: a cancellation pending now stays pending
    /// for the next blocking operation, so a <c>using</c> block unwinding for a cancellation still closes it.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (Fiber.IsOnFiber)
            {
                using (Fiber.DisableCancellation())
                    Fiber.RunBlocking(() => _file.Dispose());
            }
            else
                _file.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override string ToString() => $"FiberFile stream over '{_file.Name}'";
}

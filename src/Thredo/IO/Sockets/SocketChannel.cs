using System.Net.Sockets;

namespace Thredo.IO;

/// <summary>
/// A <see cref="FiberSocket"/> as the channel of a <see cref="FiberStream"/>: <see cref="FiberSocket.Receive"/>
/// and <see cref="FiberSocket.Send"/> park the fiber on the kernel's poller; off a fiber the async members use
/// the <see cref="System.Net.Sockets.Socket"/>'s own async operations.
/// </summary>
internal sealed class SocketChannel(FiberSocket socket) : ByteChannel
{
    /// <summary>The socket read and written; disposed with the channel.</summary>
    internal FiberSocket Socket { get; } = socket;

    /// <inheritdoc/>
    internal override bool CanRead => true;

    /// <inheritdoc/>
    internal override bool CanWrite => true;

    /// <inheritdoc/>
    internal override int Read(Span<byte> buffer)
    {
        try
        {
            return Socket.Receive(buffer);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    internal override int Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            return Socket.Send(buffer);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    internal override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await Socket.Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    internal override async ValueTask WriteAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            while (!buffer.IsEmpty)
            {
                int n = await Socket.Socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                buffer = buffer[n..];
            }
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    public override void Dispose() => Socket.Dispose();

    /// <inheritdoc/>
    public override string ToString() => Socket.ToString();
}

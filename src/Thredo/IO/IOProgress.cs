using Thredo.Kernel;

namespace Thredo.IO;

/// <summary>A transfer made of steps (send what the socket takes, read what has arrived).</summary>
internal delegate int SpanWrite(ReadOnlySpan<byte> buffer);

/// <summary>A read step; 0 means end of stream.</summary>
internal delegate int SpanRead(Span<byte> buffer);

/// <summary>
/// The loops that move a whole buffer step by step (sockets, streams, pipes), and turning a delivered
/// interrupt into one that carries how far such a loop got.
/// </summary>
internal static class IOProgress
{
    /// <summary>
    /// Writes all of <paramref name="buffer"/> through <paramref name="write"/>. A cancellation point; an
    /// interrupt comes out as <see cref="IOCancelledException"/>/<see cref="IOTimeoutException"/> with the bytes sent.
    /// </summary>
    internal static void WriteAll(ReadOnlySpan<byte> buffer, SpanWrite write, string operation)
    {
        int sent = 0;
        try
        {
            Blocking.Checkpoint();
            while (sent < buffer.Length)
                sent += write(buffer[sent..]);
        }
        catch (OperationCanceledException e) when (ShouldWrap(e))
        {
            throw Wrap(e, operation, sent, 0);
        }
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> through <paramref name="read"/>. A cancellation point; an interrupt
    /// comes out with the bytes received, which are in the start of <paramref name="buffer"/>.
    /// </summary>
    /// <exception cref="EndOfStreamException">The stream ended first (the message says after how many bytes).</exception>
    internal static void ReadExactly(Span<byte> buffer, SpanRead read, string operation)
    {
        int received = 0;
        try
        {
            Blocking.Checkpoint();
            while (received < buffer.Length)
            {
                int n = read(buffer[received..]);
                if (n == 0)
                    throw new EndOfStreamException($"The stream ended after {received} of {buffer.Length} byte(s).");
                received += n;
            }
        }
        catch (OperationCanceledException e) when (ShouldWrap(e))
        {
            throw Wrap(e, operation, 0, received);
        }
    }

    internal static string Describe(string what, string operation, long sent, long received) =>
        $"{operation} was {what} after {(sent > 0 || received == 0 ? $"sending {sent} byte(s)" : $"receiving {received} byte(s)")}.";

    /// <summary>True for a kernel-delivered interrupt that does not carry progress yet (an inner operation did not wrap it).</summary>
    internal static bool ShouldWrap(OperationCanceledException e) =>
        e is (FiberCancelledException or FiberTimeoutException) and not (IOCancelledException or IOTimeoutException);

    /// <summary>The same kind of interrupt as <paramref name="interrupt"/> (which <see cref="ShouldWrap"/> accepted), with the progress attached.</summary>
    internal static OperationCanceledException Wrap(OperationCanceledException interrupt, string operation, long sent, long received) =>
        interrupt is FiberTimeoutException t
            ? new IOTimeoutException(t, operation, sent, received)
            : new IOCancelledException((FiberCancelledException)interrupt, operation, sent, received);
}

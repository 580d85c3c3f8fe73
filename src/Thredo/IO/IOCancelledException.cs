namespace Thredo.IO;

/// <summary>
/// A <see cref="FiberCancelledException"/> that interrupted an I/O operation after it had made
/// progress: <see cref="BytesSent"/> and <see cref="BytesReceived"/> say how far it got. Thrown by the
/// multi-step operations (<see cref="FiberSocket.SendAll"/>, <see cref="FiberSocket.ReceiveExactly"/>,
/// <see cref="FiberStream.Write(ReadOnlySpan{byte})"/>, <see cref="FiberStream.ReadExactly(Span{byte})"/>,
/// <see cref="FiberStream.ReadLine"/>); a single <c>Send</c> or <c>Receive</c> never has partial progress
/// and throws the plain <see cref="FiberCancelledException"/>.
/// </summary>
/// <remarks>
/// The fiber still counts as cancelled: the exception is a <see cref="FiberCancelledException"/>, and
/// <see cref="Exception.InnerException"/> is the one delivered by the kernel.
/// </remarks>
public class IOCancelledException : FiberCancelledException
{
    /// <summary>Creates the exception.</summary>
    public IOCancelledException() : base("An I/O operation was cancelled.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public IOCancelledException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public IOCancelledException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Wraps the delivered cancellation with the progress of the interrupted operation.</summary>
    internal IOCancelledException(FiberCancelledException delivered, string operation, long bytesSent, long bytesReceived)
        : base(IOProgress.Describe("cancelled", operation, bytesSent, bytesReceived), delivered)
    {
        BytesSent = bytesSent;
        BytesReceived = bytesReceived;
    }

    /// <summary>Bytes the interrupted operation had already sent (they are gone: the peer may have them).</summary>
    public long BytesSent { get; }

    /// <summary>
    /// Bytes the interrupted operation had already received: stored in the caller's buffer (for
    /// <c>ReceiveExactly</c> / <c>ReadExactly</c>, its first <see cref="BytesReceived"/> bytes), or kept
    /// buffered in the stream (for <c>ReadLine</c>), where the next read returns them.
    /// </summary>
    public long BytesReceived { get; }
}

namespace Thredo.IO;

/// <summary>
/// A <see cref="FiberTimeoutException"/> that interrupted an I/O operation after it had made progress:
/// <see cref="BytesSent"/> and <see cref="BytesReceived"/> say how far it got (see
/// <see cref="IOCancelledException"/> for which operations throw it).
/// </summary>
/// <remarks>
/// It belongs to the same timeout scope as the timeout it wraps (its <see cref="Exception.InnerException"/>),
/// so <see cref="IgnoreScope.Owns"/> and <see cref="Fiber.IgnoreAfter(TimeSpan, Action)"/> recognise it.
/// </remarks>
public class IOTimeoutException : FiberTimeoutException
{
    /// <summary>Creates the exception.</summary>
    public IOTimeoutException() : base("An I/O operation timed out.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public IOTimeoutException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public IOTimeoutException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Wraps the delivered timeout (keeping its scope) with the progress of the interrupted operation.</summary>
    internal IOTimeoutException(FiberTimeoutException delivered, string operation, long bytesSent, long bytesReceived)
        : base(delivered, IOProgress.Describe("timed out", operation, bytesSent, bytesReceived))
    {
        BytesSent = bytesSent;
        BytesReceived = bytesReceived;
    }

    /// <summary>Bytes the interrupted operation had already sent (they are gone: the peer may have them).</summary>
    public long BytesSent { get; }

    /// <summary>
    /// Bytes the interrupted operation had already received: in the caller's buffer, or kept buffered in
    /// the stream (<c>ReadLine</c>), where the next read returns them.
    /// </summary>
    public long BytesReceived { get; }
}

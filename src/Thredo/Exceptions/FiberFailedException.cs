namespace Thredo;

/// <summary>Thrown by <see cref="Fiber.Join"/> (and <see cref="Fiber.Run(Action, FiberOptions?)"/>) when the fiber failed; <see cref="Exception.InnerException"/> is the cause.</summary>
public class FiberFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FiberFailedException() : base("A fiber failed.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public FiberFailedException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public FiberFailedException(string? message, Exception? innerException) : base(message, innerException) { }

    internal FiberFailedException(Fiber fiber, Exception cause)
        : base($"Fiber {fiber.Id} '{fiber.Name}' {(cause is FiberCancelledException ? "was cancelled" : "failed")}: {cause.Message}", cause) => Fiber = fiber;

    /// <summary>The fiber that failed, when known.</summary>
    public Fiber? Fiber { get; }
}

namespace Thredo;

/// <summary>
/// Thrown by <see cref="Fiber.Run(Action, FiberOptions?)"/> when every fiber waited on something that no
/// timer, I/O, plain thread or async code could satisfy. The message lists each fiber and its wait.
/// </summary>
public class FiberDeadlockException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public FiberDeadlockException() : base("Every fiber waits on something that nothing can satisfy.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public FiberDeadlockException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public FiberDeadlockException(string? message, Exception? innerException) : base(message, innerException) { }
}

namespace Thredo;

/// <summary>Thrown at a fiber's blocking operation after <see cref="Fiber.Cancel()"/> reached it.</summary>
public class FiberCancelledException : OperationCanceledException
{
    /// <summary>Creates the exception.</summary>
    public FiberCancelledException() : base("The fiber was cancelled.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public FiberCancelledException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public FiberCancelledException(string? message, Exception? innerException) : base(message, innerException) { }

    internal FiberCancelledException(Fiber fiber) : base($"Fiber {fiber.Id} '{fiber.Name}' was cancelled.") { }
}

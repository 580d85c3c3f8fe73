namespace Thredo;

/// <summary>Thrown by <see cref="FiberGroup.Join"/> when members failed; <see cref="AggregateException.InnerExceptions"/> holds every failure.</summary>
public class FiberGroupException : AggregateException
{
    /// <summary>Creates the exception.</summary>
    public FiberGroupException() : base("Fibers of the group failed.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public FiberGroupException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public FiberGroupException(string? message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception holding each member's failure.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerExceptions">The failures.</param>
    public FiberGroupException(string? message, IEnumerable<Exception> innerExceptions) : base(message, innerExceptions) { }
}

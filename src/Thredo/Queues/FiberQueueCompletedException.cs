namespace Thredo;

/// <summary>
/// Thrown by <see cref="FiberQueueBase{T}.Get"/> (and faulting <see cref="FiberQueueBase{T}.GetAsync"/>) when
/// the queue is complete and empty: <see cref="FiberQueueBase{T}.Complete"/> was called and every item has
/// been taken, so none will ever come. Getters already waiting on the empty queue when it is completed are
/// woken with it. <see cref="FiberQueueBase{T}.GetConsumingEnumerable"/> ends instead of throwing it.
/// </summary>
/// <remarks>
/// An <see cref="InvalidOperationException"/>, as <see cref="System.Collections.Concurrent.BlockingCollection{T}.Take()"/>
/// throws on a completed collection, so code written against either catches the same base type.
/// </remarks>
public class FiberQueueCompletedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public FiberQueueCompletedException() : base("The queue is complete and empty: Complete was called and every item has been taken.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public FiberQueueCompletedException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public FiberQueueCompletedException(string? message, Exception? innerException) : base(message, innerException) { }
}

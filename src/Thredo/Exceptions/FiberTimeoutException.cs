using Thredo.Kernel;

namespace Thredo;

/// <summary>
/// Thrown at a fiber's blocking operation after the deadline of one of its
/// <see cref="Fiber.TimeoutAfter(TimeSpan)"/> or <see cref="Fiber.IgnoreAfter(TimeSpan)"/> scopes passed.
/// </summary>
public class FiberTimeoutException : OperationCanceledException
{
    /// <summary>Creates the exception.</summary>
    public FiberTimeoutException() : base("The fiber's timeout expired.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public FiberTimeoutException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public FiberTimeoutException(string? message, Exception? innerException) : base(message, innerException) { }

    internal FiberTimeoutException(TimeoutScopeState scope)
        : base($"A timeout of fiber {scope.Fiber.Id} '{scope.Fiber.Name}' expired.") => Scope = scope;

    /// <summary>
    /// For exceptions that add detail to a delivered timeout (e.g. I/O progress): same scope, so
    /// <see cref="IgnoreScope.Owns"/> and the delegate forms still recognise it.
    /// </summary>
    private protected FiberTimeoutException(FiberTimeoutException delivered, string message)
        : base(message, delivered) => Scope = delivered.Scope;

    /// <summary>The scope whose deadline passed (the outermost expired one).</summary>
    internal TimeoutScopeState? Scope { get; }
}

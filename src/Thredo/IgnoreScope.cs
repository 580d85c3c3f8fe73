using Thredo.Kernel;

namespace Thredo;

/// <summary>
/// The scope returned by <see cref="Fiber.IgnoreAfter(TimeSpan)"/>: a deadline whose own expiry the
/// caller means to ignore. Dispose it (in reverse order of opening) to remove the deadline.
/// </summary>
public sealed class IgnoreScope : IDisposable
{
    private readonly TimeoutScopeState? _state;

    internal IgnoreScope(TimeoutScopeState? state) => _state = state;

    /// <summary>True once this scope's deadline has interrupted a blocking operation of the fiber.</summary>
    public bool Expired => _state?.Delivered ?? false;

    /// <summary>Whether <paramref name="exception"/> is this scope's own expiry (and not an outer scope's).</summary>
    /// <param name="exception">A caught timeout.</param>
    /// <returns>True if this scope raised it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    public bool Owns(FiberTimeoutException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return _state is not null && exception.Scope == _state;
    }

    /// <summary>Removes the deadline. Idempotent.</summary>
    /// <exception cref="InvalidOperationException">An inner scope opened later is still open.</exception>
    public void Dispose()
    {
        if (_state is not null)
            _state.Fiber.CloseTimeout(_state);
    }
}

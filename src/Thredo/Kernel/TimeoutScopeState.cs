namespace Thredo.Kernel;

/// <summary>
/// One open <c>TimeoutAfter</c> / <c>IgnoreAfter</c> scope of a fiber. Scopes form a stack through
/// <see cref="Outer"/>; all fields but the constructor's are guarded by the runtime gate.
/// </summary>
internal sealed class TimeoutScopeState
{
    internal TimeoutScopeState(Fiber fiber, bool ignore)
    {
        Fiber = fiber;
        Ignore = ignore;
        Timer = new TimerEntry { Callback = static s => { var scope = (TimeoutScopeState)s!; scope.Fiber.OnTimeoutFired(scope); }, State = this };
    }

    /// <summary>The fiber that opened the scope.</summary>
    internal Fiber Fiber { get; }

    /// <summary>True for <c>IgnoreAfter</c>: its own expiry is swallowed at the scope's end.</summary>
    internal bool Ignore { get; }

    /// <summary>The deadline's timer.</summary>
    internal TimerEntry Timer { get; }

    /// <summary>The enclosing open scope, or null.</summary>
    internal TimeoutScopeState? Outer;

    /// <summary>The deadline has passed.</summary>
    internal bool Fired;

    /// <summary>The expiry was thrown into the fiber (it interrupted a blocking operation).</summary>
    internal bool Delivered;

    /// <summary>The scope has ended; its timer is gone.</summary>
    internal bool Closed;
}

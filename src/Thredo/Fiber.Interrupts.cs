using System.Diagnostics;
using Thredo.Kernel;

namespace Thredo;

// Cancellation and timeouts, delivered at blocking operations (Trio's and Curio's rules):
//  - Cancel() marks the fiber. The mark is delivered as FiberCancelledException at the fiber's next
//    blocking operation, or at once if it is parked now. Delivery clears the mark, so a fiber that
//    catches it and blocks again is not cancelled twice unless cancelled again.
//  - A timeout scope whose deadline passes is "fired"; it is delivered like a cancellation, as
//    FiberTimeoutException owned by the OUTERMOST fired scope, so an outer deadline passes through
//    inner scopes untouched. A scope that closes before its firing was delivered discards it.
//  - Inside DisableCancellation nothing is delivered; delivery resumes at the first blocking
//    operation after the outermost such scope ends. Cancellation wins over timeouts.
// All of this state is guarded by the fiber's Kernel.Lock.
public partial class Fiber
{
    private bool _cancelPending;           // Cancel() not yet delivered
    private bool _cancelDelivered;         // a FiberCancelledException of ours was thrown
    private int _cancelDeferral;           // open DisableCancellation scopes
    private TimeoutScopeState? _timeouts;  // innermost open timeout scope (linked outward)
    private volatile bool _interruptMaybe; // a cancel or firing may be pending: checkpoints read it without the lock

    /// <summary>True once a cancellation has been delivered to this fiber (it ends Cancelled if it then ends).</summary>
    internal bool WasCancelDelivered => _cancelDelivered;

    /// <summary>Where a scope began, for <see cref="IsInterruptInForce"/>: the open timeout scopes then, and whether a cancellation had been delivered.</summary>
    internal readonly record struct InterruptMark(TimeoutScopeState? Timeouts, bool CancelDelivered);

    /// <summary>The mark of the current moment. Calling fiber only.</summary>
    internal InterruptMark MarkInterrupts() => new(_timeouts, _cancelDelivered);

    /// <summary>
    /// True if, since <paramref name="mark"/>, a cancellation was delivered to this fiber, or a timeout
    /// scope open at the mark (so still enclosing the caller) has fired and been delivered.
    /// Calling fiber only.
    /// </summary>
    internal bool IsInterruptInForce(InterruptMark mark)
    {
        lock (Kernel.Lock)
        {
            if (_cancelDelivered && !mark.CancelDelivered)
                return true;
            for (TimeoutScopeState? s = mark.Timeouts; s is not null; s = s.Outer)
                if (s.Fired && s.Delivered && !s.Closed)
                    return true;
            return false;
        }
    }

    internal bool InterruptDeliverableLocked =>
        _cancelDeferral == 0 && (_cancelPending || OutermostFiredLocked() is not null);

    private TimeoutScopeState? OutermostFiredLocked()
    {
        TimeoutScopeState? found = null;
        for (TimeoutScopeState? s = _timeouts; s is not null; s = s.Outer)
            if (s.Fired && !s.Delivered)
                found = s;
        return found;
    }

    /// <summary>Marks the fiber cancelled and, if it is parked and may be interrupted, aborts its wait. Any thread.</summary>
    internal void RequestCancel()
    {
        Waiter? target;
        Kernel.Kernel k = LockKernel();   // this may be another thread's fiber, or a fresh one being stolen
        try
        {
            if (_finalBox is not null)
                return;
            _cancelPending = true;
            _interruptMaybe = true;
            Native?.SetCancelPending(true);   // under the lock: the host frees the handle only after the fiber's end is recorded here
            target = InterruptTargetLocked();
        }
        finally
        {
            k.Lock.Exit();
        }
        target?.AbortAndSignal();
    }

    /// <summary>A timeout scope's timer: fire the scope and interrupt the fiber's wait if deliverable. Holder thread.</summary>
    internal void OnTimeoutFired(TimeoutScopeState scope)
    {
        Waiter? target;
        lock (Kernel.Lock)
        {
            if (scope.Closed)
                return;
            scope.Fired = true;
            _interruptMaybe = true;
            target = InterruptTargetLocked();
        }
        target?.AbortAndSignal();
    }

    private Waiter? InterruptTargetLocked() =>
        SchedState == FiberState.Blocked && InterruptDeliverableLocked ? CurrentWaiter : null;

    /// <summary>Throws the pending cancellation or timeout, if one may be delivered now. Calling fiber only.</summary>
    internal void ThrowIfInterrupted()
    {
        Debug.Assert(t_current == this);
        if (Detached)
            Kernel.Reclaim(this);     // handed off while asleep in foreign code: the baton first
        Kernel.FireExpiredTimers();   // a deadline that passed during computation counts now
        if (!_interruptMaybe)
            return;   // the common case: no lock (one arriving now is caught by the park that follows)
        Exception? interrupt;
        lock (Kernel.Lock)
            interrupt = TakeInterruptLocked();
        if (interrupt is not null)
            throw interrupt;
    }

    internal Exception? TakeInterruptLocked()
    {
        Debug.Assert(Kernel.Lock.IsHeldByCurrentThread);
        if (_cancelDeferral > 0)
            return null;
        if (_cancelPending)
        {
            _cancelPending = false;
            _cancelDelivered = true;
            Native?.SetCancelPending(false);
            return new FiberCancelledException(this);
        }
        if (OutermostFiredLocked() is TimeoutScopeState scope)
        {
            scope.Delivered = true;
            return new FiberTimeoutException(scope);
        }
        _interruptMaybe = false;   // nothing pending: checkpoints may skip the lock again
        return null;
    }

    /// <summary>
    /// Parks the calling fiber until <paramref name="waiter"/> is completed, giving the baton away
    /// meanwhile. Throws the interrupt that aborted the wait, after its undo has run.
    /// </summary>
    internal void Park(Waiter waiter) => Kernel.Park(this, waiter);

    /// <summary>Opens a timeout scope on the calling fiber. Calling fiber only.</summary>
    internal TimeoutScopeState OpenTimeout(TimeSpan delay, bool ignore)
    {
        var scope = new TimeoutScopeState(this, ignore);
        lock (Kernel.Lock)
        {
            scope.Outer = _timeouts;
            _timeouts = scope;
            scope.Timer.Deadline = Clock.After(delay);
            Kernel.AddTimerLocked(scope.Timer);
        }
        return scope;
    }

    /// <summary>Closes the innermost timeout scope, removing its timer; a firing not yet delivered is discarded.</summary>
    internal void CloseTimeout(TimeoutScopeState scope)
    {
        lock (Kernel.Lock)
        {
            if (scope.Closed)
                return;
            if (_timeouts != scope)
                throw new InvalidOperationException("Timeout scopes must be disposed in the reverse order of opening (use 'using').");
            _timeouts = scope.Outer;
            scope.Closed = true;
            Kernel.RemoveTimerLocked(scope.Timer);
        }
    }

    /// <summary>Closes the innermost open timeout scope; false if none is open (native fibers' thredo_timeout_pop).</summary>
    internal bool CloseInnermostTimeout()
    {
        TimeoutScopeState? innermost;
        lock (Kernel.Lock)
            innermost = _timeouts;
        if (innermost is null)
            return false;
        CloseTimeout(innermost);
        return true;
    }

    /// <summary>A fiber that ends with scopes still open (a native fiber that did not pop them) drops their timers.</summary>
    internal void CloseAllTimeoutsLocked()
    {
        for (TimeoutScopeState? s = _timeouts; s is not null; s = s.Outer)
        {
            s.Closed = true;
            Kernel.RemoveTimerLocked(s.Timer);
        }
        _timeouts = null;
    }

    /// <summary>Enters a DisableCancellation scope. Calling fiber only.</summary>
    internal void DeferInterrupts()
    {
        lock (Kernel.Lock)
            _cancelDeferral++;
    }

    /// <summary>Leaves a DisableCancellation scope; delivery resumes at the next blocking operation.</summary>
    internal void ResumeInterrupts()
    {
        lock (Kernel.Lock)
            _cancelDeferral--;
    }
}

using System.Diagnostics;
using Thredo.Kernel;

namespace Thredo;

/// <summary>
/// A flag fibers wait for: <see cref="Set"/> releases every waiter and keeps releasing until
/// <see cref="Clear"/>. Usable from fibers, plain threads (they block the thread) and async code.
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class FiberEvent
{
    private readonly Lock _lock = new();
    private readonly WaitQueue _waiters;   // fibers, threads and async callers in Wait (under _lock)
    private bool _set;                     // the flag

    /// <summary>Creates a cleared event.</summary>
    public FiberEvent() => _waiters = new WaitQueue(_lock);

    /// <summary>True while the event is set.</summary>
    public bool IsSet => Volatile.Read(ref _set);

    /// <summary>Sets the flag and releases every waiter. Idempotent. Never blocks.</summary>
    public void Set()
    {
        List<Waiter> released;
        lock (_lock)
        {
            AssertInvariants();
            Blocking.NoteCaller(_waiters);
            _set = true;
            released = _waiters.CompleteAll();
        }
        foreach (Waiter w in released)
            w.Signal();
    }

    /// <summary>Clears the flag; later <see cref="Wait"/> calls block again. Idempotent.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            Blocking.NoteCaller(_waiters);
            _set = false;
        }
    }

    /// <summary>
    /// Blocks until the event is set; returns at once if it is set now. A cancellation point for a
    /// fiber (a pending cancellation or timeout is thrown even if the event is set); a cancelled
    /// waiter leaves no trace.
    /// </summary>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting.</exception>
    public void Wait()
    {
        Blocking.Checkpoint();
        Waiter w;
        lock (_lock)
        {
            AssertInvariants();
            if (_set)
                return;
            w = Blocking.For(_waiters, "Wait", this);
            _waiters.Enqueue(w);
        }
        Blocking.Wait(w);
    }

    /// <summary>Waits asynchronously until the event is set.</summary>
    /// <param name="cancellationToken">Ends the wait early (the task is then cancelled).</param>
    /// <returns>A task that completes when the event is set.</returns>
    public Task WaitAsync(CancellationToken cancellationToken = default)
    {
        var w = new AsyncWaiter<object?>(cancellationToken) { Description = "WaitAsync", Source = this };
        lock (_lock)
        {
            _waiters.TouchedFromOutside = true;
            if (_set)
                return Task.CompletedTask;
            _waiters.Enqueue(w);
        }
        w.RegisterCancellation();
        return w.Task;
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread);
        Debug.Assert(!_set || _waiters.PeekLive() is null, "a set event has live waiters");
    }

    /// <inheritdoc/>
    public override string ToString() => $"FiberEvent({(_set ? "set" : "clear")}, {_waiters.Count} waiting)";
}

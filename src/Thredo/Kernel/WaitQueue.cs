using System.Diagnostics;

namespace Thredo.Kernel;

/// <summary>
/// An intrusive FIFO list of <see cref="Waiter"/>s, guarded by the lock of the primitive that owns it
/// (<see cref="Lock"/>). Waiters are served in arrival order; a waiter that lost its race (already done)
/// is skipped and unlinked.
/// </summary>
[DebuggerDisplay("{Count} waiting")]
internal sealed class WaitQueue
{
    private Waiter? _head, _tail;

    /// <summary>Creates a list guarded by <paramref name="lockObject"/>.</summary>
    internal WaitQueue(Lock lockObject)
    {
        Lock = lockObject;
        _runtime = Fiber.CurrentOrNull?.Runtime;   // created on a fiber: that runtime uses it; another's fiber is outside
    }

    /// <summary>The owning primitive's lock; every member but <see cref="Remove"/> expects it held.</summary>
    internal Lock Lock { get; }

    /// <summary>Number of linked waiters (done ones not yet skipped included).</summary>
    internal int Count { get; private set; }

    /// <summary>
    /// Set once a plain thread, async code or another kernel has used the owning primitive: such a party
    /// may complete the wait later, so the deadlock detector must not count these waiters as stuck.
    /// </summary>
    internal bool TouchedFromOutside { get; set; }

    private FiberRuntime? _runtime;   // the runtime whose fibers have used the primitive; a fiber of another is outside

    /// <summary>
    /// Notes a caller of the owning primitive (its lock held): a plain thread, or a fiber of a runtime
    /// other than the first one seen (another thread's <c>Fiber.Run</c>), marks it touched from outside.
    /// </summary>
    internal void NoteCaller(Fiber? caller)
    {
        if (caller is null)
            TouchedFromOutside = true;
        else if (_runtime is null)
            _runtime = caller.Runtime;
        else if (_runtime != caller.Runtime)
            TouchedFromOutside = true;
    }

    /// <summary>Appends <paramref name="waiter"/> at the tail.</summary>
    internal void Enqueue(Waiter waiter)
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        waiter.AssertUnlinked();
        waiter.Queue = this;
        waiter.Prev = _tail;
        if (_tail is null) _head = waiter; else _tail.Next = waiter;
        _tail = waiter;
        Count++;
    }

    /// <summary>
    /// Unlinks and claims the first waiter still waiting, handing it <paramref name="value"/>. The caller
    /// must <see cref="Waiter.Signal"/> it after releasing <see cref="Lock"/>. Null if none waits.
    /// </summary>
    internal Waiter? CompleteFirst(object? value = null)
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        while (_head is Waiter w)
        {
            Unlink(w);
            if (w.TryComplete(value))
                return w;
        }
        return null;
    }

    /// <summary>
    /// Like <see cref="CompleteFirst"/>, but the claimed waiter keeps the <see cref="Waiter.Value"/> it was
    /// enqueued with (a blocked putter's item, a lock waiter's identity) for the caller to read.
    /// </summary>
    internal Waiter? ClaimFirst()
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        while (_head is Waiter w)
        {
            Unlink(w);
            if (w.TryComplete(w.Value))
                return w;
        }
        return null;
    }

    /// <summary>The first waiter still waiting, without claiming it (for predicates such as lock hand-off order).</summary>
    internal Waiter? PeekLive()
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        while (_head is Waiter w && w.IsDone)
            Unlink(w);
        return _head;
    }

    /// <summary>Claims every waiter still waiting; the caller signals them after releasing the lock.</summary>
    internal List<Waiter> CompleteAll()
    {
        var done = new List<Waiter>(Count);
        while (CompleteFirst() is Waiter w)
            done.Add(w);
        return done;
    }

    /// <summary>Every linked waiter, for diagnostics.</summary>
    internal IEnumerable<Waiter> Snapshot()
    {
        for (Waiter? w = _head; w is not null; w = w.Next)
            yield return w;
    }

    /// <summary>The undo of a wait: unlinks <paramref name="waiter"/> under <see cref="Lock"/> if still linked.</summary>
    internal void Remove(Waiter waiter)
    {
        lock (Lock)
        {
            if (waiter.Queue == this)
                Unlink(waiter);
        }
    }

    private void Unlink(Waiter w)
    {
        if (w.Prev is null) _head = w.Next; else w.Prev.Next = w.Next;
        if (w.Next is null) _tail = w.Prev; else w.Next.Prev = w.Prev;
        w.Next = w.Prev = null;
        w.Queue = null;
        Count--;
    }
}

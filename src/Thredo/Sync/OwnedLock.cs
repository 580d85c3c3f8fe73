using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Thredo.Kernel;

namespace Thredo;

/// <summary>
/// The owner-tracking lock behind <see cref="FiberLock"/> and <see cref="FiberRLock"/> (one
/// implementation, optionally re-entrant). The owner is the acquiring fiber, or the acquiring thread
/// when the caller is not a fiber. Release hands the lock straight to the first waiter, so a released
/// lock is never up for grabs while someone waits (no barging, FIFO fairness).
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
internal sealed class OwnedLock
{
    /// <summary>Guards <see cref="_owner"/>, <see cref="_depth"/> and the waiter list.</summary>
    private readonly Lock _lock = new();

    /// <summary>Callers blocked in Acquire, FIFO. Each waiter's <see cref="Waiter.Value"/> is its identity (see <see cref="Caller"/>).</summary>
    private readonly WaitQueue _waiters;

    /// <summary>The public type's name ("FiberLock", "FiberRLock"), for messages and the deadlock report.</summary>
    private readonly string _name;

    /// <summary>Whether the owner may acquire again (counted in <see cref="_depth"/>).</summary>
    private readonly bool _reentrant;

    /// <summary>The owning <see cref="Fiber"/> or <see cref="Thread"/>; null when free.</summary>
    private object? _owner;

    /// <summary>Acquisitions not yet released: 0 iff free; exactly 1 when held unless re-entrant.</summary>
    private int _depth;

    internal OwnedLock(string name, bool reentrant)
    {
        _name = name;
        _reentrant = reentrant;
        _waiters = new WaitQueue(_lock);
    }

    /// <summary>True while some fiber or thread holds the lock.</summary>
    internal bool IsLocked => Volatile.Read(ref _owner) is not null;

    /// <summary>
    /// True if the caller owns the lock. Safe without the lock: only the caller itself can make the
    /// answer true (by acquiring, or by being handed the lock while blocked, which it is not now).
    /// </summary>
    internal bool IsHeldByCaller => ReferenceEquals(Volatile.Read(ref _owner), Caller);

    /// <summary>The caller's identity as an owner: its fiber, or its thread off a fiber.</summary>
    private static object Caller => (object?)Fiber.CurrentOrNull ?? Thread.CurrentThread;

    /// <summary>Acquire: a cancellation point, then take the lock or wait for it to be handed over.</summary>
    internal LockScope Acquire()
    {
        Blocking.Checkpoint();
        AcquireCore();
        return new LockScope(this);
    }

    /// <summary>
    /// Takes the lock with cancellation and timeouts deferred (as under <see cref="Fiber.DisableCancellation"/>),
    /// so the caller surely holds it on return. For <see cref="FiberCondition.Wait"/>, which must give the lock
    /// back to its caller even when its wait was interrupted.
    /// </summary>
    internal void AcquireUninterruptibly()
    {
        Fiber? self = Fiber.CurrentOrNull;
        self?.DeferInterrupts();
        try
        {
            AcquireCore();
        }
        finally
        {
            self?.ResumeInterrupts();
        }
    }

    private void AcquireCore()
    {
        object me = Caller;
        Waiter w;
        lock (_lock)
        {
            AssertInvariants();
            Blocking.NoteCaller(_waiters);
            if (_owner is null)
            {
                _owner = me;
                _depth = 1;
                return;
            }
            if (ReferenceEquals(_owner, me))
            {
                if (!_reentrant)
                    ThrowRecursion();
                _depth++;
                return;
            }
            w = Blocking.For(_waiters, "Acquire", this);
            w.Value = me;   // the releaser reads it back (ClaimFirst) to make us the owner
            _waiters.Enqueue(w);
        }
        // On return the releaser has made us the owner; if interrupted, the undo unlinked us and we hold nothing.
        Blocking.Wait(w);
    }

    /// <summary>Takes the lock if that needs no waiting. False if another party holds it (or the caller does, and it is not re-entrant).</summary>
    internal bool TryAcquire()
    {
        object me = Caller;
        lock (_lock)
        {
            AssertInvariants();
            Blocking.NoteCaller(_waiters);
            if (_owner is null)
            {
                _owner = me;
                _depth = 1;
                return true;
            }
            if (!_reentrant || !ReferenceEquals(_owner, me))
                return false;
            _depth++;
            return true;
        }
    }

    /// <summary>Releases one acquisition; the last one hands the lock to the first waiter, if any.</summary>
    internal void Release()
    {
        object me = Caller;
        Waiter? next;
        lock (_lock)
        {
            AssertInvariants();
            Blocking.NoteCaller(_waiters);
            if (!ReferenceEquals(_owner, me))
                ThrowNotOwner(me);
            if (--_depth > 0)
                return;
            next = _waiters.ClaimFirst();
            _owner = next?.Value;   // hand-off: the waiter owns the lock before it even runs
            _depth = next is null ? 0 : 1;
        }
        next?.Signal();
    }

    [DoesNotReturn]
    private void ThrowRecursion() => throw new LockRecursionException(
        $"{Describe(Caller)} already holds this {_name}, which is not re-entrant; waiting for it would wait forever. Use FiberRLock to acquire recursively.");

    [DoesNotReturn]
    private void ThrowNotOwner(object me) => throw new InvalidOperationException(_owner is null
        ? $"{_name}.Release was called by {Describe(me)}, but the lock is not held."
        : $"{_name}.Release was called by {Describe(me)}, but the lock is held by {Describe(_owner)}. Only the owner may release it.");

    private static string Describe(object party) => party switch
    {
        Fiber f => $"fiber {f.Id} '{f.Name}'",
        Thread t => $"thread {t.ManagedThreadId}" + (t.Name is null ? "" : $" '{t.Name}'"),
        _ => party.ToString() ?? "?",
    };

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread);
        Debug.Assert((_owner is null) == (_depth == 0), "owner and depth disagree");
        Debug.Assert(_reentrant || _depth <= 1, "a plain lock was acquired twice");
        Debug.Assert(_owner is not null || _waiters.PeekLive() is null, "a free lock has live waiters");
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        object? owner = Volatile.Read(ref _owner);
        string state = owner is null ? "free" : $"held by {Describe(owner)}" + (_reentrant ? $" x{_depth}" : "");
        return $"{_name}({state}, {_waiters.Count} waiting)";
    }
}

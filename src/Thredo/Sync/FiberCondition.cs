using System.Diagnostics;
using Thredo.Kernel;

namespace Thredo;

/// <summary>
/// A condition variable for fibers (Curio's <c>Condition</c>): fibers holding its lock wait in
/// <see cref="Wait"/> until another holder calls <see cref="Notify"/> or <see cref="NotifyAll"/>.
/// Waiters are woken in arrival order. Usable from fibers and from plain threads.
/// </summary>
/// <example><code>
/// using (cond.Acquire())
///     cond.WaitFor(() => items.Count > 0);
/// </code></example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class FiberCondition
{
    /// <summary>Guards the waiter list (the user lock cannot: a cancelled waiter unlinks itself without holding it).</summary>
    private readonly Lock _lock = new();

    /// <summary>Callers in <see cref="Wait"/> waiting for a notification, FIFO.</summary>
    private readonly WaitQueue _waiters;

    /// <summary>The user-visible lock every member but the constructor requires to be held.</summary>
    private readonly OwnedLock _held;

    /// <summary>Creates a condition over <paramref name="lk"/>, or over a new lock of its own.</summary>
    /// <param name="lk">The lock to wait with, possibly shared with other conditions; null (the default) for a new one.</param>
    public FiberCondition(FiberLock? lk = null)
    {
        _held = (lk ?? new FiberLock()).Core;
        _waiters = new WaitQueue(_lock);
    }

    /// <summary>
    /// Takes the condition's lock, exactly as <see cref="FiberLock.Acquire"/> does (a cancellation point).
    /// </summary>
    /// <returns>A scope whose <see cref="LockScope.Dispose"/> releases the lock.</returns>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting; it does not hold the lock.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting; it does not hold the lock.</exception>
    /// <exception cref="LockRecursionException">The caller already holds the lock.</exception>
    public LockScope Acquire() => _held.Acquire();

    /// <summary>
    /// Releases the lock, blocks until notified, then takes the lock again before returning. A
    /// cancellation point: a cancellation or timeout pending on entry is thrown at once, with the lock
    /// still held; one arriving while the caller waits for a notification ends that wait, and is thrown
    /// only after the lock has been taken again (re-taking it cannot be interrupted), so the caller
    /// always holds the lock when this returns or throws; one deferred by
    /// <see cref="Fiber.DisableCancellation"/> is not delivered here; one arriving after the notification
    /// is delivered at the next blocking operation. A notification is never lost to a cancelled waiter:
    /// it goes to the next one.
    /// </summary>
    /// <exception cref="InvalidOperationException">The caller does not hold the lock.</exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting (it holds the lock again).</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting (it holds the lock again).</exception>
    public void Wait()
    {
        ThrowIfNotHeld(nameof(Wait));
        Blocking.Checkpoint();
        Waiter w;
        lock (_lock)
        {
            AssertInvariants();
            w = Blocking.For(_waiters, "Wait", this);
            _waiters.Enqueue(w);
        }
        // Enqueued before releasing: a notifier needs the lock, so it cannot slip in between and be missed.
        _held.Release();
        try
        {
            Blocking.Wait(w);
        }
        finally
        {
            _held.AcquireUninterruptibly();
        }
    }

    /// <summary>
    /// Waits (see <see cref="Wait"/>) until <paramref name="predicate"/>, evaluated with the lock held,
    /// returns true; returns at once if it is true already. A cancellation point even then: a cancellation
    /// or timeout pending on entry is thrown before the predicate runs. On return or exception the caller
    /// holds the lock.
    /// </summary>
    /// <param name="predicate">The condition to wait for; called with the lock held, after each wake-up.</param>
    /// <exception cref="ArgumentNullException"><paramref name="predicate"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller does not hold the lock.</exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting.</exception>
    public void WaitFor(Func<bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ThrowIfNotHeld(nameof(WaitFor));
        Blocking.Checkpoint();
        while (!predicate())
            Wait();
    }

    /// <summary>Wakes up to <paramref name="n"/> waiters, longest waiting first. Never blocks.</summary>
    /// <param name="n">How many waiters to wake; not negative (0 does nothing).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The caller does not hold the lock.</exception>
    public void Notify(int n = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ThrowIfNotHeld(nameof(Notify));
        List<Waiter> woken = new(Math.Min(n, 8));
        lock (_lock)
        {
            AssertInvariants();
            Blocking.NoteCaller(_waiters);
            while (woken.Count < n && _waiters.CompleteFirst() is Waiter w)
                woken.Add(w);
        }
        foreach (Waiter w in woken)
            w.Signal();
    }

    /// <summary>Wakes every waiter. Never blocks.</summary>
    /// <exception cref="InvalidOperationException">The caller does not hold the lock.</exception>
    public void NotifyAll()
    {
        ThrowIfNotHeld(nameof(NotifyAll));
        List<Waiter> woken;
        lock (_lock)
        {
            AssertInvariants();
            Blocking.NoteCaller(_waiters);
            woken = _waiters.CompleteAll();
        }
        foreach (Waiter w in woken)
            w.Signal();
    }

    private void ThrowIfNotHeld(string member)
    {
        if (!_held.IsHeldByCaller)
            throw new InvalidOperationException(
                $"FiberCondition.{member} requires holding the condition's lock (use 'using (cond.Acquire())'); it is {_held}.");
    }

    [Conditional("DEBUG")]
    private void AssertInvariants() => Debug.Assert(_lock.IsHeldByCurrentThread);

    /// <summary>The lock's state and the waiter count, e.g. <c>FiberCondition(FiberLock(free, 0 waiting), 2 waiting)</c>.</summary>
    /// <returns>A description used in debugger views and deadlock reports.</returns>
    public override string ToString() => $"FiberCondition({_held}, {_waiters.Count} waiting)";
}

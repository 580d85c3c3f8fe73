using System.Diagnostics;

namespace Thredo;

/// <summary>
/// A mutual-exclusion lock for fibers (Curio's <c>Lock</c>). The owner is the fiber that acquired it, or
/// the thread when the caller is not a fiber; only the owner may release it. Releasing hands the lock
/// straight to the longest waiter (FIFO, no barging). Not re-entrant: see <see cref="FiberRLock"/>.
/// Usable from fibers and from plain threads (which block the thread).
/// </summary>
/// <example><code>using (lk.Acquire()) { /* critical section */ }</code></example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class FiberLock
{
    /// <summary>The implementation, shared with <see cref="FiberRLock"/> and reused by <see cref="FiberCondition"/>.</summary>
    internal OwnedLock Core { get; } = new("FiberLock", reentrant: false);

    /// <summary>True while a fiber or thread holds the lock. A snapshot: it may change as soon as it is read.</summary>
    public bool IsLocked => Core.IsLocked;

    /// <summary>
    /// Takes the lock, blocking until its holder hands it over. A cancellation point: a cancellation or
    /// timeout pending on entry is thrown before anything happens, even if the lock is free; one arriving
    /// while the caller waits ends the wait with nothing held; one deferred by
    /// <see cref="Fiber.DisableCancellation"/> is not delivered here (the call waits as needed); one
    /// arriving after the lock was handed over is delivered at the next blocking operation.
    /// </summary>
    /// <returns>A scope whose <see cref="LockScope.Dispose"/> releases the lock.</returns>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting; it does not hold the lock.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting; it does not hold the lock.</exception>
    /// <exception cref="LockRecursionException">The caller already holds this lock (waiting would wait forever).</exception>
    public LockScope Acquire() => Core.Acquire();

    /// <summary>Takes the lock if it is free. Never blocks, and is not a cancellation point.</summary>
    /// <returns>True if the caller now holds the lock; false if anyone (the caller included) holds it.</returns>
    public bool TryAcquire() => Core.TryAcquire();

    /// <summary>
    /// Releases the lock, handing it to the longest waiter if any (who then owns it before it even runs).
    /// Never blocks.
    /// </summary>
    /// <exception cref="InvalidOperationException">The caller does not hold the lock (it is free, or another fiber or thread holds it).</exception>
    public void Release() => Core.Release();

    /// <summary>The state and waiter count, e.g. <c>FiberLock(held by fiber 3 'worker', 2 waiting)</c>.</summary>
    /// <returns>A description used in debugger views and deadlock reports.</returns>
    public override string ToString() => Core.ToString();
}

using System.Diagnostics;

namespace Thredo;

/// <summary>
/// A re-entrant lock for fibers (Curio's <c>RLock</c>): the owning fiber (or thread, when the caller is not
/// a fiber) may acquire it again, and must release it as many times. The last release hands the lock
/// straight to the longest waiter (FIFO, no barging). Usable from fibers and from plain threads.
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class FiberRLock
{
    /// <summary>The implementation, shared with <see cref="FiberLock"/>.</summary>
    private readonly OwnedLock _core = new("FiberRLock", reentrant: true);

    /// <summary>True while a fiber or thread holds the lock. A snapshot: it may change as soon as it is read.</summary>
    public bool IsLocked => _core.IsLocked;

    /// <summary>
    /// Takes the lock, or takes it once more if the caller already owns it; otherwise blocks until its
    /// holder hands it over. A cancellation point: a cancellation or timeout pending on entry is thrown
    /// before anything happens, even if the lock is free or already the caller's; one arriving while the
    /// caller waits ends the wait with nothing taken; one deferred by <see cref="Fiber.DisableCancellation"/>
    /// is not delivered here; one arriving after the lock was handed over is delivered at the next
    /// blocking operation.
    /// </summary>
    /// <returns>A scope whose <see cref="LockScope.Dispose"/> releases this one acquisition.</returns>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting; nothing was taken.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting; nothing was taken.</exception>
    public LockScope Acquire() => _core.Acquire();

    /// <summary>Takes the lock if it is free or already the caller's. Never blocks, and is not a cancellation point.</summary>
    /// <returns>True if the caller now holds the lock (one more time); false if another fiber or thread holds it.</returns>
    public bool TryAcquire() => _core.TryAcquire();

    /// <summary>
    /// Releases one acquisition. The last one frees the lock, handing it to the longest waiter if any.
    /// Never blocks.
    /// </summary>
    /// <exception cref="InvalidOperationException">The caller does not hold the lock (it is free, or another fiber or thread holds it).</exception>
    public void Release() => _core.Release();

    /// <summary>The state, depth and waiter count, e.g. <c>FiberRLock(held by fiber 3 'worker' x2, 1 waiting)</c>.</summary>
    /// <returns>A description used in debugger views and deadlock reports.</returns>
    public override string ToString() => _core.ToString();
}

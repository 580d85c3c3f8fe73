using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Thredo.Kernel;

namespace Thredo;

/// <summary>
/// A counting semaphore for fibers (Curio's <c>Semaphore</c> / <c>BoundedSemaphore</c>): <see cref="Acquire"/>
/// takes a permit, waiting while there is none; <see cref="Release"/> returns one, handing it straight to
/// the longest waiter (FIFO, no barging). Permits have no owner: any fiber or thread may release.
/// Usable from fibers and from plain threads (which block the thread).
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class FiberSemaphore
{
    /// <summary>Guards <see cref="_count"/> and the waiter list.</summary>
    private readonly Lock _lock = new();

    /// <summary>Callers blocked in <see cref="Acquire"/>, FIFO.</summary>
    private readonly WaitQueue _waiters;

    /// <summary>The most permits there may be (Release past it throws); null for no limit.</summary>
    private readonly int? _max;

    /// <summary>Free permits. Never negative; positive only while nobody waits (a release goes to a waiter first).</summary>
    private int _count;

    /// <summary>Creates a semaphore with <paramref name="initial"/> free permits.</summary>
    /// <param name="initial">The free permits to start with; not negative.</param>
    /// <param name="max">The most free permits there may be, or null for no limit (the default); at least 1 and at least <paramref name="initial"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initial"/> is negative, or <paramref name="max"/> is less than 1 or than <paramref name="initial"/>.</exception>
    public FiberSemaphore(int initial = 1, int? max = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initial);
        if (max is int limit)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit, nameof(max));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(initial, limit);
        }
        _count = initial;
        _max = max;
        _waiters = new WaitQueue(_lock);
    }

    /// <summary>The free permits now. A snapshot: it may change as soon as it is read.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Takes a permit, blocking until one is handed over if none is free. A cancellation point: a
    /// cancellation or timeout pending on entry is thrown before anything happens, even if a permit is
    /// free; one arriving while the caller waits ends the wait with no permit taken; one deferred by
    /// <see cref="Fiber.DisableCancellation"/> is not delivered here; one arriving after the permit was
    /// handed over is delivered at the next blocking operation.
    /// </summary>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting; it holds no permit.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting; it holds no permit.</exception>
    public void Acquire()
    {
        Blocking.Checkpoint();
        Waiter w;
        lock (_lock)
        {
            AssertInvariants();
            Blocking.NoteCaller(_waiters);
            if (_count > 0)
            {
                _count--;
                return;
            }
            w = Blocking.For(_waiters, "Acquire", this);
            _waiters.Enqueue(w);
        }
        Blocking.Wait(w);
    }

    /// <summary>Takes a permit if one is free. Never blocks, and is not a cancellation point.</summary>
    /// <returns>True if a permit was taken; false if none was free.</returns>
    public bool TryAcquire()
    {
        lock (_lock)
        {
            AssertInvariants();
            Blocking.NoteCaller(_waiters);
            if (_count == 0)
                return false;
            _count--;
            return true;
        }
    }

    /// <summary>
    /// Returns a permit: to the longest waiter if any (who then holds it before it even runs), otherwise
    /// to the free count. Never blocks.
    /// </summary>
    /// <exception cref="SemaphoreFullException">Nobody waits and the free count is already at the maximum given at construction.</exception>
    public void Release()
    {
        Waiter? next;
        lock (_lock)
        {
            AssertInvariants();
            Blocking.NoteCaller(_waiters);
            next = _waiters.CompleteFirst();
            if (next is null)
            {
                if (_count >= _max)
                    ThrowFull();
                _count++;
            }
        }
        next?.Signal();
    }

    [DoesNotReturn]
    private void ThrowFull() => throw new SemaphoreFullException(
        $"FiberSemaphore.Release was called with {_count} permits free, the maximum this semaphore was created with.");

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread);
        Debug.Assert(_count >= 0 && !(_count > _max), "free permits out of range");
        Debug.Assert(_count == 0 || _waiters.PeekLive() is null, "a permit is free while someone waits");
    }

    /// <summary>The free permits, maximum and waiter count, e.g. <c>FiberSemaphore(0/4 free, 3 waiting)</c>.</summary>
    /// <returns>A description used in debugger views and deadlock reports.</returns>
    public override string ToString() =>
        $"FiberSemaphore({Count}{(_max is int m ? $"/{m}" : "")} free, {_waiters.Count} waiting)";
}

using System.Collections.Concurrent;
using System.Diagnostics;

namespace Thredo.Kernel;

/// <summary>
/// Pooled fiber threads, one pool per stack size. Threads idle for a while retire, so a burst of
/// fibers does not keep thousands of threads alive.
/// </summary>
internal sealed class FiberThreadPool
{
    private static readonly ConcurrentDictionary<int, FiberThreadPool> Pools = new();
    // Idle threads, newest on top. A retired thread stays in the stack until it surfaces (dropping it
    // in place would cost O(n) per retirement, quadratic when 100k threads time out together), so
    // FiberThread.Pooled says who is really idle and _idleCount how many.
    private readonly Stack<FiberThread> _idle = new();
    private int _idleCount;
    private readonly Lock _lock = new();
    private readonly int _stackSize;

    private FiberThreadPool(int stackSize) => _stackSize = stackSize;

    /// <summary>The pool for threads with <paramref name="stackSize"/>-byte stacks.</summary>
    internal static FiberThreadPool For(int stackSize) => Pools.GetOrAdd(stackSize, static s => new FiberThreadPool(s));

    /// <summary>Fiber threads idle in every pool of the process.</summary>
    internal static long PooledCount => Pools.Values.Sum(p => (long)Volatile.Read(ref p._idleCount));

    /// <summary>Started threads kept ready; below a quarter of it, a refill starts off the kernel.</summary>
    private const int Reserve = 64;
    private int _refilling;   // 1 while a refill runs

    /// <summary>
    /// A thread assigned to <paramref name="fiber"/>, which is being dispatched for the first time; it
    /// starts running it when handed the baton.
    /// </summary>
    /// <remarks>
    /// Discussion: starting an OS thread takes 0.5-2 ms on a small VM, and the spawner holds the
    /// baton meanwhile, so a burst of spawns (a server accepting thousands of clients) would stall
    /// the whole kernel. A reserve of started threads, refilled on the .NET thread pool, moves that
    /// cost off the kernel; only a burst that outruns the refill creates threads inline.
    /// </remarks>
    internal FiberThread Rent(Fiber fiber)
    {
        FiberThread? thread;
        int idle;
        lock (_lock)
        {
            while (_idle.TryPop(out thread) && !thread.Pooled)
                thread = null;
            if (thread is not null)
            {
                thread.Pooled = false;
                _idleCount--;
            }
            idle = _idleCount;
        }
        thread ??= new FiberThread(this, _stackSize);
        thread.Fiber = fiber;
        if (idle < Reserve / 4 && Interlocked.CompareExchange(ref _refilling, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static p => p.Refill(), this, preferLocal: false);
        return thread;
    }

    private void Refill()
    {
        try
        {
            while (true)
            {
                lock (_lock)
                {
                    if (_idleCount >= Reserve)
                        return;
                }
                Return(new FiberThread(this, _stackSize));
            }
        }
        catch (FiberLimitException)
        {
            // At a limit the reserve stays short; a fiber that needs a thread gets the exception itself.
        }
        finally
        {
            Volatile.Write(ref _refilling, 0);
        }
    }

    internal void Return(FiberThread thread)
    {
        lock (_lock)
        {
            Debug.Assert(!thread.Pooled, "a thread returned to the pool twice");
            thread.Pooled = true;
            _idleCount++;
            _idle.Push(thread);
        }
    }

    /// <summary>
    /// Retires an idle thread whose wait timed out. False if it was rented meanwhile: then a wake is
    /// on its way (or already consumed the permit), and the thread must wait again.
    /// </summary>
    internal bool TryRetire(FiberThread thread)
    {
        lock (_lock)
        {
            if (thread.Fiber is not null || !thread.Pooled)
                return false;
            thread.Pooled = false;   // its stack entry is skipped when it surfaces
            _idleCount--;
            if (_idle.Count > 2 * _idleCount + Reserve)
            {
                // Mostly retired entries: compact, amortized O(1) per retirement.
                var keep = _idle.Where(t => t.Pooled).Reverse().ToArray();
                _idle.Clear();
                foreach (var t in keep)
                    _idle.Push(t);
            }
            return true;
        }
    }
}

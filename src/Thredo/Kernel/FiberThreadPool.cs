using System.Collections.Concurrent;
using Thredo.Fibers;

namespace Thredo.Kernel;

/// <summary>
/// An OS thread that runs managed fibers one after another. It waits for the baton on its
/// <see cref="Parker"/>; being handed the baton while assigned a fiber means "run it".
/// </summary>
internal sealed class FiberThread : IBatonHolder
{
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(10);

    private readonly FiberThreadPool _pool;

    /// <summary>The fiber this thread is assigned to run, or null while pooled.</summary>
    internal Fiber? Fiber;

    /// <summary>The OS thread id, for <see cref="ForeignBlockWatch"/> to ask whether it is asleep; 0 until the thread runs.</summary>
    internal volatile int Tid;

    /// <summary>Starts a pooled thread.</summary>
    /// <exception cref="FiberLimitException">The OS refused a thread: the message names the limit to raise.</exception>
    internal FiberThread(FiberThreadPool pool, int stackSize)
    {
        _pool = pool;
        Parker = ParkerHandle.Create();
        try
        {
            new Thread(Loop, stackSize) { IsBackground = true, Name = "thredo fiber" }.Start();
        }
        catch (Exception e) when (e is OutOfMemoryException or ThreadStartException)
        {
            Parker.Dispose();
            throw ThreadLimits.Read().Diagnose(e);
        }
    }

    /// <inheritdoc/>
    public ParkerHandle Parker { get; }

    private void Loop()
    {
        Tid = OsThread.CurrentId();
        while (true)
        {
            if (!Parker.Wait(IdleLifetime.Ticks * 100))
            {
                if (_pool.TryRetire(this))
                    break;
                // Rented while the wait timed out: the fiber may already be assigned, but only its
                // dispatch (the wake still to come) hands this thread the baton. Running it now
                // would make two holders of one baton.
                continue;
            }
            if (Fiber is Fiber fiber)
            {
                Fiber = null;
                // Each run returns once its fiber has ended; a never-started fiber next in line runs
                // inline on this thread, so short fibers cost no thread hop.
                for (Fiber? next = fiber; next is not null;)
                    next = next.RunOnThisThread();
                _pool.Return(this);
            }
        }
        Parker.Dispose();
    }
}

/// <summary>
/// Pooled fiber threads, one pool per stack size. Threads idle for a while retire, so a burst of
/// fibers does not keep thousands of threads alive.
/// </summary>
internal sealed class FiberThreadPool
{
    private static readonly ConcurrentDictionary<int, FiberThreadPool> Pools = new();
    private readonly Stack<FiberThread> _idle = new();
    private readonly Lock _lock = new();
    private readonly int _stackSize;

    private FiberThreadPool(int stackSize) => _stackSize = stackSize;

    /// <summary>The pool for threads with <paramref name="stackSize"/>-byte stacks.</summary>
    internal static FiberThreadPool For(int stackSize) => Pools.GetOrAdd(stackSize, static s => new FiberThreadPool(s));

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
            _idle.TryPop(out thread);
            idle = _idle.Count;
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
                    if (_idle.Count >= Reserve)
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
            _idle.Push(thread);
    }

    /// <summary>
    /// Retires an idle thread whose wait timed out. False if it was rented meanwhile: then a wake is
    /// on its way (or already consumed the permit), and the thread must wait again.
    /// </summary>
    internal bool TryRetire(FiberThread thread)
    {
        lock (_lock)
        {
            if (thread.Fiber is not null || !_idle.Contains(thread))
                return false;
            var keep = _idle.Where(t => t != thread).Reverse().ToArray();
            _idle.Clear();
            foreach (var t in keep) _idle.Push(t);
            return true;
        }
    }
}

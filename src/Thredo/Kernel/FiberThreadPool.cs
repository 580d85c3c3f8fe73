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

    internal FiberThread(FiberThreadPool pool, int stackSize)
    {
        _pool = pool;
        var thread = new Thread(Loop, stackSize) { IsBackground = true, Name = "thredo fiber" };
        thread.Start();
    }

    /// <inheritdoc/>
    public ParkerHandle Parker { get; } = ParkerHandle.Create();

    private void Loop()
    {
        while (true)
        {
            if (!Parker.Wait(IdleLifetime.Ticks * 100) && _pool.TryRetire(this))
                break;
            if (Fiber is Fiber fiber)
            {
                Fiber = null;
                fiber.RunOnThisThread();   // returns after the fiber has ended and passed the baton on
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

    /// <summary>A thread assigned to <paramref name="fiber"/>; it starts running it when handed the baton.</summary>
    internal FiberThread Rent(Fiber fiber)
    {
        FiberThread? thread;
        lock (_lock)
            _idle.TryPop(out thread);
        thread ??= new FiberThread(this, _stackSize);
        thread.Fiber = fiber;
        return thread;
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

/// <summary>Something that can hold a kernel's baton: a fiber's thread, or the thread inside <c>Fiber.Run</c>.</summary>
internal interface IBatonHolder
{
    /// <summary>Where it waits to be handed the baton.</summary>
    ParkerHandle Parker { get; }
}

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

    /// <summary>True while idle in its pool; guarded by the pool's lock.</summary>
    internal bool Pooled;

    /// <summary>The OS thread id, for <see cref="ForeignBlockWatch"/> to ask whether it is asleep; 0 until the thread runs.</summary>
    internal volatile int Tid;

    /// <summary>Starts a pooled thread.</summary>
    /// <exception cref="FiberLimitException">The OS refused a thread: the message names the limit to raise.</exception>
    internal FiberThread(FiberThreadPool pool, int stackSize)
    {
        _pool = pool;
        ThreadBudget.Take();
        Parker = ParkerHandle.Create();
        int errno = NativeThread.TryStart(Loop, stackSize);
        if (errno != 0)
        {
            Parker.Dispose();
            ThreadBudget.Give();
            throw ThreadLimits.Read().Diagnose(ThrowHelper.IOError(errno, "thredo_thread_start"));
        }
    }

    /// <inheritdoc/>
    public ParkerHandle Parker { get; }

    private void Loop()
    {
        Thread.CurrentThread.Name = "thredo fiber";
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
                {
                    Diagnostics.MonitorContention.Forget(Tid);   // a Monitor wait of this thread's last fiber is over
                    next = next.RunOnThisThread();
                }
                _pool.Return(this);
            }
        }
        Parker.Dispose();
        ThreadBudget.Give();
    }
}

using Thredo.Kernel;

namespace Thredo;

public partial class Fiber
{
    /// <summary>
    /// Blocks the calling fiber for <paramref name="delay"/> while others run. A cancellation point.
    /// <see cref="TimeSpan.Zero"/> is the same as <see cref="Yield"/>. Off a fiber it sleeps the thread.
    /// </summary>
    /// <param name="delay">How long; not negative (<see cref="Timeout.InfiniteTimeSpan"/> sleeps until cancelled).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or during the sleep.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber expired before or during the sleep.</exception>
    public static void Sleep(TimeSpan delay)
    {
        if (delay != Timeout.InfiniteTimeSpan)
            ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        if (t_current is not Fiber self)
        {
            System.Threading.Thread.Sleep(delay);
            return;
        }
        if (delay == TimeSpan.Zero)
        {
            Yield();
            return;
        }
        self.ThrowIfInterrupted();
        var waiter = new SleepWaiter(self, delay == Timeout.InfiniteTimeSpan ? null : Clock.After(delay));
        self.Park(waiter);
    }

    /// <summary>Blocks the calling fiber for <paramref name="seconds"/> seconds (see <see cref="Sleep(TimeSpan)"/>).</summary>
    /// <param name="seconds">How long, in seconds; not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seconds"/> is negative or not a number.</exception>
    public static void Sleep(double seconds) => Sleep(Seconds(seconds));

    /// <summary>
    /// Lets every other runnable fiber of the kernel run first, then continues. A cancellation point.
    /// Off a fiber it yields the thread.
    /// </summary>
    /// <exception cref="FiberCancelledException">The fiber has a cancellation pending.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber has expired.</exception>
    public static void Yield()
    {
        if (t_current is not Fiber self)
        {
            System.Threading.Thread.Yield();
            return;
        }
        self.ThrowIfInterrupted();
        self.Kernel.Yield(self);
    }

    /// <summary>
    /// Runs foreign blocking code (a plain file read, a database driver) without holding the kernel:
    /// the fiber gives the baton away, runs <paramref name="work"/> on its own thread, then waits for
    /// the baton again. A cancellation point on entry; <paramref name="work"/> itself is not
    /// interrupted, and a cancellation arriving meanwhile is delivered at the next blocking operation.
    /// While <paramref name="work"/> runs, the thread is not a fiber (<see cref="IsOnFiber"/> is false), so
    /// Thredo primitives it uses block the thread. Off a fiber it just runs <paramref name="work"/>.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The blocking code.</param>
    /// <returns>What <paramref name="work"/> returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry.</exception>
    public static T RunBlocking<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (t_current is not Fiber self)
            return work();
        self.ThrowIfInterrupted();
        self.Kernel.EnterForeign(self);
        // Off the kernel this thread is a plain thread: Thredo primitives used by the work block the
        // thread (and count as outside use), instead of parking a fiber that holds no baton.
        t_current = null;
        try
        {
            return work();
        }
        finally
        {
            t_current = self;
            self.Kernel.LeaveForeign(self);
        }
    }

    /// <summary>Runs foreign blocking code without holding the kernel (see <see cref="RunBlocking{T}(Func{T})"/>).</summary>
    /// <param name="work">The blocking code.</param>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="FiberCancelledException">The fiber had a cancellation pending on entry.</exception>
    public static void RunBlocking(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        RunBlocking<object?>(() => { work(); return null; });
    }

    /// <summary>
    /// Blocks the calling fiber (not the kernel) until <paramref name="task"/> completes, and rethrows
    /// its exception if it failed. A cancellation point: cancelling the fiber stops the wait (the task
    /// goes on). Off a fiber it blocks the thread.
    /// </summary>
    /// <param name="task">The task to wait for.</param>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or during the wait.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber expired before or during the wait.</exception>
    public static void Await(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        WaitForTask(task);
        task.GetAwaiter().GetResult();
    }

    /// <summary>Blocks the calling fiber until <paramref name="task"/> completes and returns its result (see <see cref="Await(Task)"/>).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="task">The task to wait for.</param>
    /// <returns>The task's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="FiberCancelledException">The fiber was cancelled before or during the wait.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the fiber expired before or during the wait.</exception>
    public static T Await<T>(Task<T> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        WaitForTask(task);
        return task.GetAwaiter().GetResult();
    }

    private static void WaitForTask(Task task)
    {
        if (t_current is not Fiber self)
        {
            ((IAsyncResult)task).AsyncWaitHandle.WaitOne();
            return;
        }
        self.ThrowIfInterrupted();
        if (task.IsCompleted)
            return;
        var waiter = new TaskWaiter(self) { Description = $"Await({task})" };
        task.ContinueWith(static (_, s) => { var w = (Waiter)s!; if (w.TryComplete()) w.Signal(); }, waiter,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        self.Park(waiter);
    }

    internal static TimeSpan Seconds(double seconds, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(seconds))] string? name = null)
    {
        if (double.IsNaN(seconds) || seconds < 0)
            throw new ArgumentOutOfRangeException(name, seconds, "A time in seconds must be a non-negative number.");
        // Beyond what a TimeSpan holds (about 29,000 years) a delay saturates, as its TimeSpan twin does.
        return double.IsPositiveInfinity(seconds) ? Timeout.InfiniteTimeSpan
             : seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue
             : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>Await's wait: a task completes it from outside the kernel.</summary>
    private sealed class TaskWaiter(Fiber fiber) : FiberWaiter(fiber)
    {
        internal override void Undo() { }
        internal override bool CanBeCompletedFromOutside => true;
    }
}

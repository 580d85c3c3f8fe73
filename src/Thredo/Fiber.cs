using System.Diagnostics;
using Thredo.Kernel;

namespace Thredo;

/// <summary>
/// A fiber: blocking-style code whose every blocking operation (sleep, join, queue, lock, ...) is
/// served by Thredo's kernel, so it can be cancelled or timed out cleanly at its next blocking
/// operation. Like <see cref="Task"/>, the class holds both the static entry points
/// (<see cref="Run(Action, FiberOptions?)"/>, <see cref="Spawn(Action, string?)"/>, <see cref="Sleep(TimeSpan)"/>, ...)
/// and the handle of one fiber.
/// </summary>
/// <remarks>
/// Each fiber runs on an OS thread of its own (pooled), and only the fiber holding its kernel's baton
/// runs; so <c>[ThreadStatic]</c>, <c>lock</c>, exceptions, debuggers and the GC behave as on any thread.
/// </remarks>
[DebuggerDisplay("Fiber {Id} '{Name}' {State}")]
public partial class Fiber
{
    private static long s_nextId;
    [ThreadStatic] private static Fiber? t_current;
    // The fiber whose body runs on this thread, kept while RunBlocking makes it a plain thread
    // (t_current null): "am I that fiber" must not change answer there, or a fiber waits for itself.
    [ThreadStatic] private static Fiber? t_self;

    private readonly Delegate _body;
    private readonly ExecutionContext? _context;

    internal Fiber(Delegate body, string? name, FiberRuntime runtime, Kernel.Kernel kernel, FiberGroup? group)
    {
        _body = body;
        Id = Interlocked.Increment(ref s_nextId);
        _name = name;
        Runtime = runtime;
        Kernel = kernel;
        Group = group;
        _context = ExecutionContext.Capture();
    }

    /// <summary>The fiber's unique id within the process.</summary>
    public long Id { get; }

    /// <summary>The name given at spawn, or <c>fiber-{Id}</c>.</summary>
    public string Name => _name ??= $"fiber-{Id}";   // made on first read: most fibers are never named in a report

    private string? _name;

    /// <summary>
    /// Where the fiber is in its life: <see cref="FiberState.Created"/>, <see cref="FiberState.Ready"/>,
    /// <see cref="FiberState.Running"/>, <see cref="FiberState.Blocked"/>, then one of the final states
    /// <see cref="FiberState.Completed"/>, <see cref="FiberState.Faulted"/> or <see cref="FiberState.Cancelled"/>.
    /// A snapshot: it may change as soon as it is read.
    /// </summary>
    public FiberState State => FinalState ?? SchedState;

    /// <summary>True once the fiber has ended (completed, faulted or cancelled).</summary>
    public bool IsCompleted => _finalBox is not null;

    /// <summary>
    /// The exception that ended the fiber: its failure once <see cref="FiberState.Faulted"/>, or the
    /// <see cref="FiberCancelledException"/> once <see cref="FiberState.Cancelled"/>; null otherwise.
    /// </summary>
    public Exception? Exception => _exception;

    /// <summary>The fiber running on the calling thread.</summary>
    /// <exception cref="InvalidOperationException">The caller is not a fiber (use <see cref="IsOnFiber"/> to ask).</exception>
    public static Fiber Current => t_current ?? throw new InvalidOperationException(
        "Fiber.Current was read off a fiber. Start fibers with Fiber.Run or Fiber.Spawn, or check Fiber.IsOnFiber first.");

    /// <summary>True when the calling thread is running a fiber.</summary>
    public static bool IsOnFiber => t_current is not null;

    internal static Fiber? CurrentOrNull => t_current;

    // ---- Scheduling state (guarded by Kernel.Lock unless marked) ---------------------------------
    internal readonly FiberRuntime Runtime;          // the Fiber.Run it belongs to
    internal Kernel.Kernel Kernel;                   // whose baton it runs under; changes only while fresh (stealing)
    internal readonly FiberGroup? Group;             // the group that spawned it, if any
    internal FiberThread? Thread;                    // the OS thread running it (managed fibers); null until first dispatched
    internal Thredo.Fibers.NativeFiberHandle? Native; // the C fiber it is (native fibers; then Thread is null)
    internal Waiter? NativeWait;                     // native fibers: the wait whose outcome the next resume reports
    internal FiberState SchedState;                  // Created, Ready, Running or Blocked
    internal Waiter? CurrentWaiter;                  // what it is parked on; null when not parked
    internal Fiber? LiveNext, LivePrev;              // the live list of LiveKernel (guarded by LiveKernel.Lock)
    internal Kernel.Kernel? LiveKernel;              // whose live list holds it: its first kernel, even if stolen
    internal long QueuedAt;                          // when it was spawned (Clock ticks): stealing waits for a backlog to age
    internal volatile bool Detached;                 // handed off while asleep in foreign code: takes the baton back at its next Thredo call
    internal long DetachedAt;                        // when (Clock ticks), for the long-block report
    internal long ParkedAt;                          // when it last parked (Clock ticks), for snapshots
    internal System.Diagnostics.StackTrace? ParkedStack; // where it last parked, with FiberOptions.CaptureStacks

    /// <summary>A managed fiber that has never run: a queue entry with no thread, timers or descriptors yet.</summary>
    internal bool IsFresh => Thread is null && Native is null;

    /// <summary>
    /// Takes the lock of this fiber's kernel, re-checking after the wait because a fresh fiber may be
    /// stolen by another kernel meanwhile. For code that may touch another thread's fiber.
    /// </summary>
    internal Kernel.Kernel LockKernel()
    {
        while (true)
        {
            Kernel.Kernel k = Volatile.Read(ref Kernel);
            k.Lock.Enter();
            if (Volatile.Read(ref Kernel) == k)
                return k;
            k.Lock.Exit();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Fiber {Id} '{Name}' ({State})";

    /// <summary>
    /// What this fiber waits on, in words, or null if it is not blocked: the words of snapshots and of
    /// the deadlock report. Its kernel's lock held (or a racy read, for diagnostics). Off in foreign code,
    /// it says whose lock the fiber waits for if <paramref name="monitor"/> knows it waits in Monitor.Enter.
    /// </summary>
    internal string? DescribeWait(Diagnostics.MonitorWaitFor? monitor = null) => SchedState != FiberState.Blocked || IsCompleted ? null
        : CurrentWaiter is Waiter w ? w.Describe()
        : monitor?.Describe(this) is string enter ? (Detached ? enter : $"{enter} in RunBlocking")
        : Detached ? "foreign code (handed off: asleep in a call Thredo does not serve)"
        : "foreign code (RunBlocking)";

    /// <summary>
    /// Runs the body on the calling (pooled) thread, which has just been handed the baton. Returns the
    /// never-started fiber this thread runs next, inline, or null once the baton has gone elsewhere.
    /// </summary>
    internal Fiber? RunOnThisThread()
    {
        t_current = t_self = this;
        Exception? failure = null;
        try
        {
            if (_context is null)
                Execute(_body);
            else
                ExecutionContext.Run(_context, static s => { var f = (Fiber)s!; f.Execute(f._body); }, this);
        }
#pragma warning disable CA1031 // A fiber's failure belongs to the fiber, never to the thread that ran it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = e;
        }
        finally
        {
            t_current = t_self = null;
        }
        Finish(failure);
        return Kernel.End(Thread!, this);
    }

    /// <summary>Runs the body and stores its result (<see cref="Fiber{T}"/> has one).</summary>
    private protected virtual void Execute(Delegate body) => ((Action)body)();
}

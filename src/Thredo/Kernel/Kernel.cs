// The kernel: one baton, its run queue, its timers and its poller.
//
// Thredo's rules, which everything below keeps:
//  1. No managed frame is ever suspended on a switched stack. A managed fiber is an OS thread of
//     its own; "switching" hands the baton from one thread to another (thredo_baton_switch).
//  2. Only the holder of the baton runs. A fiber that blocks hands the baton straight to the next
//     runnable fiber; when none is runnable, the blocking fiber itself runs the idle step (wait on
//     the poller until the nearest timer or a wake), so the hot path has no extra thread hop.
//  3. Every blocking operation is a cancellation point: it goes through Park, which delivers a
//     pending cancellation or timeout before waiting and aborts the wait when one arrives.
//
// All kernel and fiber scheduling state is guarded by the runtime's Gate. Nothing blocks while
// holding it, and primitives never take it while holding their own lock (order: Gate, then never
// a primitive lock; wakers signal after releasing theirs).
using System.Diagnostics;
using Thredo.Fibers;

namespace Thredo.Kernel;

internal sealed partial class Kernel : IDisposable
{
    // ---- Kernel state (guarded by Runtime.Gate unless marked) -------------------------------
    internal readonly FiberRuntime Runtime;                  // the Fiber.Run this kernel belongs to
    private readonly Queue<Fiber> _ready = new();            // runnable fibers, FIFO
    private readonly TimerQueue _timers = new();             // sleeps and timeout deadlines
    private long _nextDeadline = long.MaxValue;              // _timers' earliest deadline, readable without the gate
    private readonly PollerHandle _poller;                   // epoll / IOCP and its wake handle
    private readonly PollEvent[] _events = new PollEvent[256]; // holder only: poll results
    private bool _polling;                                   // the holder is inside _poller.Wait
    internal IBatonHolder? Holder;                           // who holds the baton now (diagnostics)
    internal Fiber? Running;                                 // the fiber last handed the baton
    internal long Switches;                                  // hand-offs so far (LongBlockWatch)

    internal Kernel(FiberRuntime runtime)
    {
        Runtime = runtime;
        _poller = PollerHandle.Create();
    }

    /// <summary>The kernel's poller, for I/O waits.</summary>
    internal PollerHandle Poller => _poller;

    /// <summary>True if some fiber waits in the run queue.</summary>
    internal bool HasReadyLocked => _ready.Count > 0;

    /// <summary>True if something here can still make progress without outside help.</summary>
    internal bool HasProspectsLocked => _ready.Count > 0 || _timers.Count > 0 || HasIoWaitsLocked || !_polling;

    // ---- Making fibers runnable ---------------------------------------------------------------

    /// <summary>Queues a new or yielding fiber to run. Gate held.</summary>
    internal void MakeReadyLocked(Fiber fiber)
    {
        Debug.Assert(Runtime.Gate.IsHeldByCurrentThread);
        Debug.Assert(fiber.SchedState is FiberState.Created or FiberState.Running or FiberState.Blocked);
        fiber.SchedState = FiberState.Ready;
        _ready.Enqueue(fiber);
        if (_polling)
            _poller.Wake();   // the holder sleeps in the poller: end its wait
    }

    /// <summary>
    /// The signal of a completed or aborted <see cref="FiberWaiter"/>: makes its fiber runnable if it is
    /// parked on that waiter. Any thread.
    /// </summary>
    /// <remarks>
    /// Discussion: the waiter may have been won before its fiber finished parking. Then the fiber is
    /// still Running with no current waiter, and nothing is queued: Park sees the waiter done under the
    /// gate and does not give the baton away. So a wake is never lost and never stale.
    /// </remarks>
    internal void WakeParked(Fiber fiber, Waiter waiter)
    {
        lock (Runtime.Gate)
        {
            if (fiber.CurrentWaiter == waiter && fiber.SchedState == FiberState.Blocked)
                MakeReadyLocked(fiber);
        }
    }

    // ---- Timers -------------------------------------------------------------------------------

    internal void AddTimerLocked(TimerEntry entry)
    {
        _timers.Add(entry);
        Volatile.Write(ref _nextDeadline, _timers.NextDeadline ?? long.MaxValue);
        if (_polling)
            _poller.Wake();
    }

    internal void RemoveTimerLocked(TimerEntry entry)
    {
        _timers.Remove(entry);
        Volatile.Write(ref _nextDeadline, _timers.NextDeadline ?? long.MaxValue);
    }

    /// <summary>
    /// Fires every timer whose deadline has passed. Called at each hand-off and checkpoint, not only
    /// when idle: a kernel that never runs out of work must still wake sleepers and deliver timeouts.
    /// The common case (nothing due) costs one clock read and no lock.
    /// </summary>
    internal void FireExpiredTimers()
    {
        if (Clock.Now < Volatile.Read(ref _nextDeadline))
            return;
        List<TimerEntry>? expired;
        lock (Runtime.Gate)
            expired = TakeExpiredLocked();
        RunTimers(expired);
    }

    private List<TimerEntry>? TakeExpiredLocked()
    {
        List<TimerEntry>? expired = null;
        long now = Clock.Now;
        while (_timers.TakeExpired(now) is TimerEntry t)
            (expired ??= []).Add(t);
        Volatile.Write(ref _nextDeadline, _timers.NextDeadline ?? long.MaxValue);
        return expired;
    }

    // Callbacks take primitive locks and the gate themselves, so they run outside the gate.
    private static void RunTimers(List<TimerEntry>? expired)
    {
        if (expired is not null)
            foreach (TimerEntry t in expired)
                t.Callback(t.State);
    }

    // ---- Handing the baton on -----------------------------------------------------------------

    /// <summary>
    /// The caller (which holds the baton and whose own fiber, if any, is no longer running) gives the
    /// baton to the next runnable fiber. With <paramref name="comeBack"/> it then waits until handed
    /// the baton again; otherwise it leaves (the fiber ended or goes off to run foreign code).
    /// With <paramref name="canIdle"/> false the caller may not sit in the poller, so an empty run
    /// queue hands the baton to the runtime's host thread instead.
    /// </summary>
    internal void HandOff(IBatonHolder self, bool comeBack, bool canIdle)
    {
        FireExpiredTimers();
        PollIoIfDue();
        while (true)
        {
            Fiber? next;
            long timeoutNs;
            lock (Runtime.Gate)
            {
                next = TakeReadyLocked(self);
                if (next is null)
                {
                    if (!canIdle || Runtime.IsFinishedLocked)
                    {
                        GiveBatonToHostLocked();
                        if (comeBack) break;
                        return;
                    }
                    timeoutNs = PrepareIdleLocked();
                }
                else timeoutNs = 0;
            }
            if (next is not null)
            {
                IBatonHolder target = next.Holder;
                if (target == self)
                    return;
                if (comeBack)
                    self.Parker.SwitchTo(target.Parker);
                else
                    target.Parker.Wake();
                return;
            }
            if (timeoutNs == DeadlockDeclared)
            {
                Runtime.OnDeadlock();
                continue;
            }
            PollOnce(timeoutNs);
        }
        self.Parker.Wait();   // the host has the baton; it hands it back when we are runnable
    }

    /// <summary>The thread that runs this kernel's native fibers, created with the first of them.</summary>
    internal NativeFiberHost? NativeHost;

    /// <summary>The thread that idles for this kernel when no fiber can (see <see cref="KernelHost"/>).</summary>
    internal KernelHost Host { get; set; } = null!;

    /// <summary>True while the holder sleeps in the poller (so a waker must wake the poller).</summary>
    internal bool IsPollingLocked => _polling;

    /// <summary>Runtime shutdown: ends the holder's poller wait, and lets the native fiber host leave.</summary>
    internal void WakeForShutdownLocked()
    {
        if (_polling)
            _poller.Wake();
        NativeHost?.Parker.Wake();
    }

    private void GiveBatonToHostLocked()
    {
        Holder = Host;
        Host.Parker.Wake();
    }

    private Fiber? TakeReadyLocked(IBatonHolder self)
    {
        if (!_ready.TryDequeue(out Fiber? next))
            return null;
        next.SchedState = FiberState.Running;
        Holder = next.Holder;
        Running = next;
        Switches++;
        return next;
    }

    private const long DeadlockDeclared = long.MinValue;

    /// <summary>
    /// Decides how long the idle step may sleep: until the nearest timer, forever, or not at all when
    /// this idle step finds the whole runtime deadlocked (then the fibers are being cancelled).
    /// </summary>
    private long PrepareIdleLocked()
    {
        long? deadline = _timers.NextDeadline;
        _polling = true;
        if (deadline is long d)
            return Clock.NanosecondsUntil(d);
        switch (Runtime.CheckDeadlockLocked())
        {
            case null: return -1;
            case 0:
                _polling = false;
                return DeadlockDeclared;
            case long grace: return grace;
        }
    }

    /// <summary>The idle step: sleep in the poller, then fire expired timers and ready I/O waits.</summary>
    private void PollOnce(long timeoutNs)
    {
        int n = _poller.Wait(_events, timeoutNs);
        _handOffsSincePoll = 0;
        List<TimerEntry>? expired;
        lock (Runtime.Gate)
        {
            _polling = false;
            expired = TakeExpiredLocked();
        }
        RunTimers(expired);
        DispatchIo(n);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (Runtime.Gate)
            ForgetAllDescriptorsLocked();   // a CloseDescriptor after the run then finds nothing to do
        NativeHost?.Dispose();
        _poller.Dispose();
    }
}

// The kernel: one baton, its run queue, its timers and its poller.
//
// Thredo's rules, which everything below keeps:
//  1. No managed frame is ever suspended on a switched stack. A managed fiber that has blocked is an
//     OS thread of its own; "switching" hands the baton from one thread to another. A fiber that
//     has never run is only a queue entry: it gets a thread when first dispatched, and a thread
//     whose fiber has just ended runs it inline, so short fibers cost no thread hop at all.
//  2. Only the holder of the baton runs. A fiber that blocks hands the baton straight to the next
//     runnable fiber; when none is runnable, the blocking fiber itself runs the idle step (wait on
//     the poller until the nearest timer or a wake), so the hot path has no extra thread hop.
//  3. Every blocking operation is a cancellation point: it goes through Park (Kernel.Traps.cs),
//     which delivers a pending cancellation or timeout before waiting and aborts the wait when one
//     arrives.
//
// Locking: each kernel's Lock guards its state and the scheduling state of its fibers. Nothing
// blocks while holding it. Order: FiberRuntime.Lock, then a Kernel.Lock; primitives never take a
// kernel lock while holding their own (wakers signal after releasing theirs); no kernel lock is
// taken while another is held. A fiber changes kernel only before it first runs (stealing), under
// the old kernel's lock; code that may touch another thread's fiber re-checks its Kernel after
// locking (Fiber.LockKernel).
using System.Diagnostics;
using Thredo.Fibers;

namespace Thredo.Kernel;

internal sealed partial class Kernel : IDisposable
{
    // ---- Kernel state (guarded by Lock unless marked) ------------------------------------------
    internal readonly Lock Lock = new();                     // this kernel's one scheduler lock
    internal readonly FiberRuntime Runtime;                  // the Fiber.Run this kernel belongs to
    internal readonly int Index;                             // position among the runtime's kernels
    private readonly Queue<Fiber> _ready = new();            // runnable fibers, FIFO (never-started ones too)
    private readonly TimerQueue _timers = new();             // sleeps and timeout deadlines
    private long _nextDeadline = long.MaxValue;              // _timers' earliest deadline; read without the lock
    private readonly PollerHandle _poller;                   // epoll / IOCP and its wake handle
    private readonly PollEvent[] _events = new PollEvent[256]; // holder only: poll results
    private int _eventsInUse;                                // 1 while _events is filled or read (a detached fiber may still be)
    private volatile bool _polling;                          // the holder sleeps in the poller (idle); read without the lock
    private int _wakeSent;                                   // 1 once a wake was written since the last poller wait returned (Interlocked)
    private readonly Dictionary<IntPtr, IoRegistration> _io = [];       // registered descriptors
    private readonly Dictionary<ulong, IoRegistration> _ioByToken = []; // poller token -> registration
    private ulong _nextToken;                                // tokens of this kernel's registrations
    private int _ioWaiting;                                  // descriptor waits in progress; read without the lock
    private int _handOffsSincePoll;                          // holder only: busy hand-offs since the last I/O poll
    private readonly AdaptiveSpin _spin;                     // how fiber threads wait for the baton
    private Fiber? _liveHead;                                // fibers spawned here and not yet ended (intrusive list)
    internal IBatonHolder? Holder;                           // who holds the baton now (diagnostics)
    internal Fiber? Running;                                 // the fiber last handed the baton
    internal long Switches;                                  // hand-offs so far (LongBlockWatch, deadlock check, metrics)
    internal long Spawned;                                   // fibers spawned here so far (metrics; counted under the lock Spawn takes anyway)
    private long _idleTicks;                                 // time spent asleep in the poller (Interlocked: metrics read it)
    internal KernelHost Host { get; set; } = null!;          // idles for the kernel when no fiber can
    internal NativeFiberHost? NativeHost;                    // runs native fibers, created with the first

    internal Kernel(FiberRuntime runtime, int index)
    {
        Runtime = runtime;
        Index = index;
        _poller = PollerHandle.Create();
        _spin = new AdaptiveSpin(runtime.Options.ParkSpinIterations);
    }

    /// <summary>The kernel's poller, for I/O waits.</summary>
    internal PollerHandle Poller => _poller;

    /// <summary>True while the holder sleeps in the poller: nothing of this kernel is runnable.</summary>
    internal bool IsIdle => _polling;

    /// <summary>True if something here can still make progress without outside help.</summary>
    internal bool HasProspectsLocked => _ready.Count > 0 || _timers.Count > 0 || _ioWaiting > 0 || !_polling;

    /// <summary>The spin policy's current budget (tests and diagnostics).</summary>
    internal int SpinBudgetNs => _spin.BudgetNs;

    // ---- Making fibers runnable ---------------------------------------------------------------

    /// <summary>Queues a new, woken or yielding fiber to run. Lock held.</summary>
    internal void MakeReadyLocked(Fiber fiber)
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        Debug.Assert(fiber.Kernel == this, "a fiber queued on a kernel it does not belong to");
        Debug.Assert(fiber.SchedState is FiberState.Created or FiberState.Running or FiberState.Blocked);
        fiber.SchedState = FiberState.Ready;
        _ready.Enqueue(fiber);
        if (_polling)
            WakePoller();   // the holder sleeps in the poller: end its wait
    }

    /// <summary>
    /// The signal of a completed or aborted <see cref="FiberWaiter"/>: makes its fiber runnable if it is
    /// parked on that waiter. Any thread.
    /// </summary>
    /// <remarks>
    /// Discussion: the waiter may have been won before its fiber finished parking. Then the fiber is
    /// still Running with no current waiter, and nothing is queued: Park sees the waiter done under the
    /// lock and does not give the baton away. So a wake is never lost and never stale.
    /// </remarks>
    internal void WakeParked(Fiber fiber, Waiter waiter)
    {
        lock (Lock)
        {
            if (fiber.CurrentWaiter == waiter && fiber.SchedState == FiberState.Blocked)
                MakeReadyLocked(fiber);
        }
    }

    /// <summary>Takes the head of the run queue and makes it the running fiber, or null. Lock held.</summary>
    private Fiber? TakeReadyLocked()
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        if (!_ready.TryDequeue(out Fiber? next))
            return null;
        StartRunningLocked(next);
        return next;
    }

    private void StartRunningLocked(Fiber next)
    {
        next.SchedState = FiberState.Running;
        next.CurrentWaiter = null;   // the wait is over; its outcome is on the waiter the fiber holds
        Running = next;
        Switches++;
    }

    /// <summary>
    /// Stealing: gives away the head of the run queue if it is a fiber that has never run (no thread,
    /// timers or descriptors of its own yet) and has waited at least <see cref="StealAfterTicks"/>,
    /// moving it to <paramref name="thief"/>. Only never-started fibers move, so nothing a fiber
    /// registered on a kernel ever needs to follow it. <paramref name="retryAt"/> says when a fresh
    /// head too young to take becomes eligible (<see cref="long.MaxValue"/> if there is none).
    /// </summary>
    /// <remarks>
    /// Discussion: a new fiber is queued on its spawner's kernel, where it shares caches with the
    /// spawner and keeps the single-kernel order of events (a spawner that yields lets its fibers run
    /// first). Only a backlog that outlasts the delay is worth moving to another core.
    /// </remarks>
    internal Fiber? TryGiveFreshTo(Kernel thief, long now, ref long retryAt)
    {
        lock (Lock)
        {
            if (_ready.Count == 0 || !_ready.Peek().IsFresh)
                return null;
            long eligibleAt = _ready.Peek().QueuedAt + StealAfterTicks;
            if (now < eligibleAt)
            {
                retryAt = Math.Min(retryAt, eligibleAt);
                return null;
            }
            Fiber fresh = _ready.Dequeue();
            fresh.Kernel = thief;
            return fresh;
        }
    }

    /// <summary>How long a never-started fiber waits on a busy kernel before an idle one may take it.</summary>
    internal static readonly long StealAfterTicks = System.Diagnostics.Stopwatch.Frequency / 5_000;   // 200 µs

    // ---- Live fibers ------------------------------------------------------------------------------

    private void AddLiveLocked(Fiber fiber)
    {
        fiber.LiveKernel = this;
        fiber.LiveNext = _liveHead;
        if (_liveHead is not null)
            _liveHead.LivePrev = fiber;
        _liveHead = fiber;
    }

    private static void RemoveLiveLocked(Fiber fiber)
    {
        Kernel k = fiber.LiveKernel!;
        Debug.Assert(k.Lock.IsHeldByCurrentThread);
        if (fiber.LivePrev is null) k._liveHead = fiber.LiveNext; else fiber.LivePrev.LiveNext = fiber.LiveNext;
        if (fiber.LiveNext is not null) fiber.LiveNext.LivePrev = fiber.LivePrev;
        fiber.LiveNext = fiber.LivePrev = null;
    }

    /// <summary>
    /// A fiber has ended (outcome recorded, joiners woken): its final state, its timers gone, and it
    /// leaves the live list, under one lock unless it was stolen from the kernel whose list holds it.
    /// The runtime finishes with the last fiber.
    /// </summary>
    internal void EndLive(Fiber fiber, FiberState final)
    {
        Debug.Assert(fiber.Kernel == this);
        lock (Lock)
        {
            fiber.SchedState = final;
            fiber.CloseAllTimeoutsLocked();
            if (fiber.LiveKernel == this)
                RemoveLiveLocked(fiber);
        }
        if (fiber.LiveKernel != this)
        {
            lock (fiber.LiveKernel!.Lock)
                RemoveLiveLocked(fiber);
        }
        Runtime.OnFiberEnded();
    }

    /// <summary>Adds every live fiber of this list to <paramref name="into"/>. Lock held.</summary>
    internal void CollectLiveLocked(List<Fiber> into)
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        for (Fiber? f = _liveHead; f is not null; f = f.LiveNext)
            into.Add(f);
    }

    /// <summary>
    /// Adds a <see cref="FiberInfo"/> for every live fiber of this list to <paramref name="into"/>, naming
    /// the holder of the lock a fiber waits for in Monitor.Enter when <paramref name="monitor"/> is given. Lock held.
    /// </summary>
    internal void DescribeLiveLocked(List<FiberInfo> into, Diagnostics.MonitorWaitFor? monitor)
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        for (Fiber? f = _liveHead; f is not null; f = f.LiveNext)
        {
            string? on = f.DescribeWait(monitor);
            into.Add(new FiberInfo(f.Id, f.Name, f.State, on, on is null ? TimeSpan.Zero : Clock.Since(f.ParkedAt),
                on is not null && f.CurrentWaiter is not null ? f.ParkedStack?.ToString() : null));
        }
    }

    /// <summary>Time this kernel spent asleep in its poller so far, in <see cref="Clock"/> ticks.</summary>
    internal long IdleTicks => Interlocked.Read(ref _idleTicks);

    /// <summary>Adds this kernel's runnable fibers, and its live list's blocked fibers by <see cref="WaitKind"/>, to the counts. Lock held.</summary>
    internal void CountLocked(ref long runnable, Span<long> blockedByKind)
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        runnable += _ready.Count;
        for (Fiber? f = _liveHead; f is not null; f = f.LiveNext)
            if (f.SchedState == FiberState.Blocked)
                blockedByKind[(int)(f.CurrentWaiter?.Kind ?? WaitKind.Foreign)]++;
    }

    /// <summary>True if every live fiber of this list waits on something no outside party can complete. Lock held.</summary>
    /// <remarks>A live fiber with no waiter is running, or off in foreign code (RunBlocking) and will come back.</remarks>
    internal bool AllLiveStuckLocked()
    {
        for (Fiber? f = _liveHead; f is not null; f = f.LiveNext)
            if (f.CurrentWaiter is not Waiter w || w.CanBeCompletedFromOutside)
                return false;
        return true;
    }

    // ---- Timers -------------------------------------------------------------------------------

    internal void AddTimerLocked(TimerEntry entry)
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        _timers.Add(entry);
        Volatile.Write(ref _nextDeadline, _timers.NextDeadline ?? long.MaxValue);
        if (_polling)
            WakePoller();
    }

    internal void RemoveTimerLocked(TimerEntry entry)
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
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
        lock (Lock)
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

    // Callbacks take primitive locks and kernel locks themselves, so they run outside the lock.
    private static void RunTimers(List<TimerEntry>? expired)
    {
        if (expired is not null)
            foreach (TimerEntry t in expired)
                t.Callback(t.State);
    }

    // ---- The loop: handing the baton on --------------------------------------------------------

    /// <summary>How a holder lets go of the baton.</summary>
    internal enum Leave
    {
        /// <summary>It waits to be handed the baton again (its fiber blocked or yielded; or a host).</summary>
        Park,
        /// <summary>Its fiber ended: a never-started fiber next in line runs inline on its thread.</summary>
        End,
        /// <summary>It goes off without the baton (RunBlocking) and cannot idle for the kernel.</summary>
        Away,
    }

    /// <summary>
    /// The caller (which holds the baton and whose own fiber, if any, is no longer running) gives the
    /// baton to the next runnable fiber, idling in the poller meanwhile if none is. Returns a
    /// never-started fiber that the caller's thread must run inline (only with <see cref="Leave.End"/>),
    /// else null: then with <see cref="Leave.Park"/> the caller holds the baton again.
    /// </summary>
    internal Fiber? HandOff(IBatonHolder self, Leave how, Fiber? picked = null)
    {
        Fiber? inline;
        if (picked is not null && Dispatch(self, how, picked, out inline))
            return inline;
        while (true)
        {
            // Phase 1: timers and I/O that are due, even under load.
            FireExpiredTimers();
            PollIoIfDue();

            // Phase 2: the head of the run queue gets the baton.
            Fiber? next;
            lock (Lock)
            {
                next = TakeReadyLocked();
                if (next is null)
                {
                    if (how == Leave.Away || Runtime.IsFinished)
                    {
                        GiveBatonToHostLocked();
                        break;
                    }
                    _polling = true;   // from here a waker wakes the poller
                }
            }
            if (next is not null)
            {
                if (Dispatch(self, how, next, out inline))
                    return inline;
                continue;
            }

            // Phase 3: nothing runnable here: take a never-started fiber from a busy kernel.
            long retryStealAt = long.MaxValue;
            if (Runtime.TrySteal(this, ref retryStealAt) is Fiber stolen)
            {
                lock (Lock)
                {
                    _polling = false;
                    StartRunningLocked(stolen);
                }
                if (Dispatch(self, how, stolen, out inline))
                    return inline;
                continue;
            }

            // Phase 4: idle: sleep in the poller until the nearest timer, I/O or a wake; or report a deadlock.
            long timeoutNs = IdleTimeout(retryStealAt);
            if (timeoutNs == DeadlockDeclared)
            {
                Runtime.OnDeadlock();
                continue;
            }
            PollOnce(timeoutNs);
        }
        if (how == Leave.Park)
            WaitForBaton(self);   // the host has the baton; it hands it back when we are runnable
        return null;
    }

    /// <summary>
    /// Hands the baton to <paramref name="next"/> (already marked running), binding it to a thread if it
    /// has none; <paramref name="inline"/> is what <see cref="HandOff"/> returns. False if no thread could
    /// be had: <paramref name="next"/> has failed with <see cref="FiberLimitException"/>, the caller
    /// still holds the baton and picks again (a loop, not a recursion: at a limit thousands fail in a row).
    /// </summary>
    private bool Dispatch(IBatonHolder self, Leave how, Fiber next, out Fiber? inline)
    {
        inline = null;
        Holder = next.Native is null ? next.Thread : NativeHost;
        if (next.IsFresh)
        {
            if (how == Leave.End)
            {
                next.Thread = (FiberThread)self;   // run it inline: no thread hop at all
                Holder = self;
                inline = next;
                return true;
            }
            try
            {
                if (Volatile.Read(ref Runtime.InjectedThreadFailures) > 0 && Interlocked.Decrement(ref Runtime.InjectedThreadFailures) >= 0)
                    throw ThreadLimits.AtStart.Diagnose(new InvalidOperationException("Thread failed to start (injected by a test)."));
                next.Thread = Runtime.Threads.Rent(next);
            }
            catch (FiberLimitException e)
            {
                // No thread to run it on: it fails where it would have started, and the baton goes on.
                next.Finish(e);
                return false;
            }
            Holder = next.Thread;
        }
        IBatonHolder target = Holder!;
        if (target == self)
            return true;
        target.Parker.Wake();
        if (how == Leave.Park)
            WaitForBaton(self);
        return true;
    }

    /// <summary>The caller waits until handed the baton: fiber threads spin adaptively first, hosts sleep at once.</summary>
    internal void WaitForBaton(IBatonHolder self)
    {
        if (self is FiberThread)
            _spin.Wait(self.Parker, this);
        else
            self.Parker.Wait();
    }

    /// <summary>True while the holder sleeps in the poller (so a waker must wake the poller).</summary>
    internal bool IsPollingLocked => _polling;

    /// <summary>Runtime shutdown or a nudge: ends the holder's poller wait, and lets the native fiber host leave.</summary>
    internal void WakeForShutdownLocked()
    {
        if (_polling)
            WakePoller();
        NativeHost?.Parker.Wake();
    }

    /// <summary>The native fiber host of this kernel, started with its first native fiber.</summary>
    internal NativeFiberHost EnsureNativeHost()
    {
        lock (Lock)
            return NativeHost ??= new NativeFiberHost(this);
    }

    /// <summary>True if some fiber waits in the run queue. Lock held.</summary>
    internal bool HasReadyLocked => _ready.Count > 0;

    /// <summary>Asks an idle holder to look for work again (a busy kernel has fibers to steal).</summary>
    internal void Nudge()
    {
        if (_polling)
            WakePoller();
    }

    /// <summary>Every wait on the poller (idle or busy poll): it may consume a wake, so a later one must be written again.</summary>
    private int WaitOnPoller(long timeoutNs)
    {
        int n = _poller.Wait(_events, timeoutNs);
        Volatile.Write(ref _wakeSent, 0);
        return n;
    }

    /// <summary>
    /// Ends the holder's poller wait: one wake per wait, however many wakers (a burst of spawns from
    /// outside would otherwise write the wake handle once each). Any thread.
    /// </summary>
    private void WakePoller()
    {
        if (Interlocked.Exchange(ref _wakeSent, 1) == 0)
            _poller.Wake();
    }

    private void GiveBatonToHostLocked()
    {
        Holder = Host;
        Running = null;
        Host.Parker.Wake();
    }

    private const long DeadlockDeclared = long.MinValue;

    /// <summary>
    /// How long the idle step may sleep: until the nearest timer or steal retry, forever, or not at all when this idle
    /// step finds the whole runtime deadlocked (then the fibers are being cancelled).
    /// </summary>
    private long IdleTimeout(long retryStealAt)
    {
        long next = Math.Min(Volatile.Read(ref _nextDeadline), retryStealAt);
        if (next != long.MaxValue)
            return Clock.NanosecondsUntil(next);
        switch (Runtime.CheckDeadlock())
        {
            case null: return -1;
            case 0:
                lock (Lock)
                    _polling = false;
                return DeadlockDeclared;
            case long grace: return grace;
        }
    }

    /// <summary>The idle step: sleep in the poller, then fire expired timers and ready I/O waits.</summary>
    private void PollOnce(long timeoutNs)
    {
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _eventsInUse, 1, 0) != 0)
            spin.SpinOnce();   // only a fiber detached inside PollIoIfDue can hold it, briefly
        try
        {
            long asleepAt = Clock.Now;
            int n = WaitOnPoller(timeoutNs);
            Interlocked.Add(ref _idleTicks, Clock.Now - asleepAt);
            _handOffsSincePoll = 0;
            List<TimerEntry>? expired;
            lock (Lock)
            {
                _polling = false;
                expired = TakeExpiredLocked();
            }
            Runtime.ForeignWatch?.Nudge();   // busy again (after _polling is cleared: the watchdog re-checks it)
            RunTimers(expired);
            DispatchIo(n);
        }
        finally
        {
            Volatile.Write(ref _eventsInUse, 0);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (Lock)
            ForgetAllDescriptorsLocked();   // a CloseDescriptor after the run then finds nothing to do
        NativeHost?.Dispose();
        _poller.Dispose();
    }
}

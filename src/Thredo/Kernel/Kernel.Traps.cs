using System.Diagnostics;
using Thredo.Fibers;

namespace Thredo.Kernel;

// The traps: every way a fiber enters the kernel (park, yield, spawn, end, run-blocking, I/O wait).
// Each changes the caller's scheduling state and picks the next fiber under one acquisition of the
// kernel's lock, then hands the baton on outside it. Due timers and I/O are served first, so a
// kernel that never idles still wakes sleepers and readers.
internal sealed partial class Kernel
{
    /// <summary>What <see cref="ParkLocked"/> did with a wait.</summary>
    internal enum ParkOutcome
    {
        /// <summary>The fiber is now blocked on the waiter; someone else must run.</summary>
        Parked,
        /// <summary>A waker won before the fiber parked: it goes on at once.</summary>
        AlreadyDone,
        /// <summary>An interrupt was due: the wait is aborted; the caller undoes it and delivers the interrupt.</summary>
        Aborted,
    }

    /// <summary>
    /// The one park, used by managed fibers (<see cref="Park"/>) and by the native fiber host: blocks
    /// <paramref name="fiber"/> on <paramref name="waiter"/> unless the wait is already won or an
    /// interrupt is deliverable. A waker that already won keeps any interrupt pending for the next
    /// blocking operation. Lock held.
    /// </summary>
    internal ParkOutcome ParkLocked(Fiber fiber, Waiter waiter)
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        Debug.Assert(fiber.Kernel == this && fiber.SchedState == FiberState.Running);
        if (waiter.IsDone)
            return ParkOutcome.AlreadyDone;
        if (fiber.InterruptDeliverableLocked && waiter.TryAbort())
            return ParkOutcome.Aborted;
        // Not done when looked at under this lock (a waker may be storing its value right now): park.
        // The waker's Signal takes this lock after we release it, finds us parked and queues us.
        fiber.CurrentWaiter = waiter;
        fiber.SchedState = FiberState.Blocked;
        fiber.ParkedAt = Clock.Now;
        return ParkOutcome.Parked;
    }

    /// <summary>
    /// Trap: park the calling managed fiber until <paramref name="waiter"/> is completed, giving the
    /// baton away meanwhile. Throws the interrupt that aborted the wait, after its undo has run.
    /// </summary>
    internal void Park(Fiber self, Waiter waiter)
    {
        Debug.Assert(Fiber.CurrentOrNull == self);
        if (Runtime.Options.CaptureStacks)
            self.ParkedStack = new StackTrace(2, fNeedFileInfo: false);   // off by default: this costs microseconds
        ParkOutcome outcome = ParkOutcome.AlreadyDone;
        Fiber? next = null;
        while (true)
        {
            FireExpiredTimers();
            PollIoIfDue();
            bool requeued;
            lock (Lock)
            {
                requeued = RequeueIfDetachedLocked(self);
                if (!requeued)
                {
                    outcome = ParkLocked(self, waiter);
                    if (outcome == ParkOutcome.Parked)
                        next = TakeReadyLocked();
                }
            }
            if (!requeued)
                break;
            TakeBatonBack(self);   // then park for real
        }
        if (outcome == ParkOutcome.AlreadyDone)
            return;
        if (outcome == ParkOutcome.Aborted)
        {
            waiter.Undo();
            self.ThrowIfInterrupted();
            return;
        }
        // If a waker wins from here on, it queues us and the hand-off may come straight back.
        HandOff(self.Thread!, Leave.Park, next);
        Debug.Assert(waiter.IsDone, "a parked fiber was resumed before its wait ended");
        if (waiter.IsAborted)
        {
            self.ThrowIfInterrupted();
            Debug.Fail("a wait was aborted with no interrupt to deliver");
        }
    }

    /// <summary>Trap: let every other runnable fiber of the kernel go first. The caller has passed its checkpoint.</summary>
    internal void Yield(Fiber self)
    {
        PollIoIfDue();
        Fiber? next;
        lock (Lock)
        {
            if (RequeueIfDetachedLocked(self))
                next = null;   // queued behind the others: taking the baton back is the yield
            else if (_ready.Count == 0)
                return;   // nobody else is runnable: going on is what the hand-off would choose
            else
            {
                MakeReadyLocked(self);
                next = TakeReadyLocked();
            }
        }
        if (next is null)
            TakeBatonBack(self);
        else
            HandOff(self.Thread!, Leave.Park, next);
    }

    /// <summary>
    /// Trap: queue a new fiber. If this kernel is busy and another one idles, the idle one is nudged so
    /// that it can steal the fiber (<see cref="TryGiveFreshTo"/>). Any thread.
    /// </summary>
    internal void Spawn(Fiber fiber)
    {
        bool busy;
        fiber.QueuedAt = Clock.Now;   // stealing waits for a backlog to age
        Runtime.OnFiberSpawned();
        lock (Lock)
        {
            AddLiveLocked(fiber);
            MakeReadyLocked(fiber);
            Spawned++;
            busy = !_polling;
        }
        if (busy)
            Runtime.NudgeIdleKernel(this);
    }

    /// <summary>
    /// Trap: the calling thread's fiber has ended (its outcome recorded). Returns the never-started
    /// fiber that the thread runs next, inline, or null (the baton went elsewhere).
    /// </summary>
    /// <remarks>A fiber that ended while detached holds no baton: the watchdog has passed it on already.</remarks>
    internal Fiber? End(FiberThread self, Fiber ended) => ended.Detached ? null : HandOff(self, Leave.End);

    /// <summary>Trap: the calling fiber goes off to run foreign blocking code without the baton.</summary>
    internal void EnterForeign(Fiber self)
    {
        FireExpiredTimers();
        Fiber? next;
        lock (Lock)
        {
            if (self.Detached)
            {
                self.Detached = false;   // already off the baton: the foreign work just goes on without it
                return;
            }
            self.SchedState = FiberState.Blocked;   // parked with no waiter: "off running foreign code"
            self.ParkedAt = Clock.Now;
            next = TakeReadyLocked();
        }
        HandOff(self.Thread!, Leave.Away, next);
    }

    /// <summary>The foreign code has returned: queue the fiber and wait until it holds the baton again.</summary>
    internal void LeaveForeign(Fiber self)
    {
        lock (Lock)
            MakeReadyLocked(self);
        WaitForBaton(self.Thread!);
    }

    /// <summary>
    /// Trap: park the calling fiber until <paramref name="fd"/> is ready for <paramref name="interest"/>
    /// (readable or writable). A cancellation point.
    /// </summary>
    /// <returns>The readiness reported (may include error or hang-up).</returns>
    /// <exception cref="ObjectDisposedException">The descriptor was closed (<paramref name="owner"/>, or behind the kernel's back: EBADF).</exception>
    /// <exception cref="IOException">The poller refused the descriptor for another reason.</exception>
    internal PollEvents WaitForIo(Fiber self, IntPtr fd, PollEvents interest, string operation, object? source, WatchedDescriptor? owner)
    {
        self.ThrowIfInterrupted();
        Waiter waiter = BeginIoWait(self, fd, interest, operation, source, owner, out int errno)
            ?? throw (errno == Errno.EBADF
                ? new ObjectDisposedException(source?.GetType().Name ?? "descriptor", "The descriptor was closed.")
                : ThrowHelper.IOError(errno, operation));
        Park(self, waiter);
        return IoResult(waiter, source);
    }

    // ---- Foreign blocking calls (FiberOptions.ForeignBlockHandoff) ----------------------------------
    //
    // Discussion: a fiber that sleeps in the OS while holding the baton (a C# lock, Thread.Sleep,
    // Task.Wait, a plain Socket.Receive) would stall every fiber of its kernel. ForeignBlockWatch
    // notices it and, through DetachForeignBlocked, treats it as if it had called RunBlocking: the
    // baton goes on without it. It takes the baton back at its next Thredo operation: every trap
    // checks Detached under the lock before touching scheduling state, and checkpoints check it first.
    // The watchdog detaches only a fiber that is Running with no hand-off since it looked, so a fiber
    // inside a trap (Blocked, Ready or ended) is never detached.

    /// <summary>
    /// The watchdog's trap, on behalf of <paramref name="fiber"/>, asleep in foreign code with the
    /// baton: if it still runs with no hand-off since <paramref name="switches"/>, it is detached and
    /// the baton goes to the next runnable fiber (or the host, which idles). True if it was.
    /// </summary>
    internal bool DetachForeignBlocked(Fiber fiber, long switches)
    {
        Fiber? next;
        lock (Lock)
        {
            if (Running != fiber || fiber.SchedState != FiberState.Running || Switches != switches || _polling || fiber.IsCompleted)
                return false;
            fiber.SchedState = FiberState.Blocked;   // parked with no waiter, as in RunBlocking
            fiber.Detached = true;
            fiber.DetachedAt = fiber.ParkedAt = Clock.Now;
            next = TakeReadyLocked();
            if (next is null)
                GiveBatonToHostLocked();   // the host idles for the kernel; the watchdog never does
        }
        if (next is not null && !Dispatch(Host, Leave.Away, next, out _))
            HandOff(Host, Leave.Away);   // it could get no thread: the next one, or the host
        return true;
    }

    /// <summary>A checkpoint of a detached fiber: it queues itself and waits until it holds the baton again.</summary>
    internal void Reclaim(Fiber self)
    {
        bool requeued;
        lock (Lock)
            requeued = RequeueIfDetachedLocked(self);
        if (requeued)
            TakeBatonBack(self);
    }

    /// <summary>At a trap's start, under the lock: a detached caller queues itself to take the baton back. True if it did.</summary>
    private bool RequeueIfDetachedLocked(Fiber self)
    {
        if (!self.Detached)
            return false;
        self.Detached = false;
        MakeReadyLocked(self);
        return true;
    }

    private void TakeBatonBack(Fiber self)
    {
        WaitForBaton(self.Thread!);
        Diagnostics.MonitorContention.Forget(self.Thread!.Tid);
        Runtime.ForeignWatch?.OnTakenBack(self);
    }
}

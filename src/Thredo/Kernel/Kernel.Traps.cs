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
        if (fiber.InterruptDeliverableLocked)
            return waiter.TryAbort() ? ParkOutcome.Aborted : ParkOutcome.AlreadyDone;
        fiber.CurrentWaiter = waiter;
        fiber.SchedState = FiberState.Blocked;
        return ParkOutcome.Parked;
    }

    /// <summary>
    /// Trap: park the calling managed fiber until <paramref name="waiter"/> is completed, giving the
    /// baton away meanwhile. Throws the interrupt that aborted the wait, after its undo has run.
    /// </summary>
    internal void Park(Fiber self, Waiter waiter)
    {
        Debug.Assert(Fiber.CurrentOrNull == self);
        FireExpiredTimers();
        PollIoIfDue();
        ParkOutcome outcome;
        Fiber? next = null;
        lock (Lock)
        {
            outcome = ParkLocked(self, waiter);
            if (outcome == ParkOutcome.Parked)
                next = TakeReadyLocked();
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
            if (_ready.Count == 0)
                return;   // nobody else is runnable: going on is what the hand-off would choose
            MakeReadyLocked(self);
            next = TakeReadyLocked();
        }
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
            busy = !_polling;
        }
        if (busy)
            Runtime.NudgeIdleKernel(this);
    }

    /// <summary>
    /// Trap: the calling thread's fiber has ended (its outcome recorded). Returns the never-started
    /// fiber that the thread runs next, inline, or null (the baton went elsewhere).
    /// </summary>
    internal Fiber? End(FiberThread self) => HandOff(self, Leave.End);

    /// <summary>Trap: the calling fiber goes off to run foreign blocking code without the baton.</summary>
    internal void EnterForeign(Fiber self)
    {
        FireExpiredTimers();
        Fiber? next;
        lock (Lock)
        {
            self.SchedState = FiberState.Blocked;   // parked with no waiter: "off running foreign code"
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
    /// <exception cref="ObjectDisposedException">The descriptor was closed through <see cref="CloseDescriptor"/> meanwhile.</exception>
    /// <exception cref="InvalidOperationException">Another fiber already waits on the same direction of this descriptor.</exception>
    internal PollEvents WaitForIo(Fiber self, IntPtr fd, PollEvents interest, string operation, object? source)
    {
        self.ThrowIfInterrupted();
        Waiter waiter = BeginIoWait(self, fd, interest, operation, source);
        Park(self, waiter);
        return IoResult(waiter, source);
    }
}

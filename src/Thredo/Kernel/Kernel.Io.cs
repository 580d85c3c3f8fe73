using System.Diagnostics;
using Thredo.Fibers;

namespace Thredo.Kernel;

// Descriptor readiness on the kernel's poller: the one registration used by sockets, pipes, files,
// processes and native fibers.
//
// Discussion: a registration is level-triggered one-shot (native/src/poller_epoll.c), one per
// descriptor number per kernel, armed for exactly the directions someone waits on. Any number of
// fibers may wait on one direction; a report wakes the first of them (the others stay armed, and
// level triggering reports again if the woken one left data behind), while error or hang-up wakes
// every waiter, whose retried operation then reports what happened. Arming re-checks the
// descriptor, so readiness that arrived between a failed try and the arm is not lost.
//
// The state machine, all under the kernel lock:
//   absent --BeginIoWait--> registered (waiters >= 1) --last waiter leaves--> registered, disarmed
//   registered --CloseDescriptor--> absent: every waiter completes with IoClosed, the count drops
//   an arm the OS refuses (descriptor closed behind our back) is undone before anyone sees it:
//   the waiter is never queued, or, for waiters already queued, they complete as if broken.
// Invariant: _ioWaiting is the number of waiters queued in all registrations (AssertIoLocked).
internal sealed partial class Kernel
{
    /// <summary>
    /// Registers <paramref name="fiber"/>'s wait for <paramref name="fd"/> without parking anyone: the
    /// managed path parks the fiber's thread on it; a native fiber's host parks the native fiber. Null,
    /// with <paramref name="errno"/> set, if the OS refused the descriptor (EBADF: it is closed) or
    /// <paramref name="owner"/> was closed first (EBADF too); nothing is left registered then.
    /// </summary>
    /// <remarks>
    /// With <paramref name="deadline"/> (<see cref="Clock"/> ticks) the wait also ends when it passes:
    /// completed, not aborted, and <see cref="EndIoWait"/> then says so (a native <c>poll</c> timeout).
    /// </remarks>
    internal Waiter? BeginIoWait(Fiber fiber, IntPtr fd, PollEvents interest, string operation, object? source,
                                 WatchedDescriptor? owner, out int errno, long? deadline = null)
    {
        Debug.Assert(interest is PollEvents.Readable or PollEvents.Writable);
        var waiter = new IoWaiter(fiber, interest) { Description = operation, Source = source };
        if (deadline is long d)
            waiter.Limit = new TimerEntry { Deadline = d, Callback = static s => ((IoWaiter)s!).Expire(), State = waiter };
        lock (Lock)
        {
            // Checked under this lock: WatchedDescriptor.Close marks itself closed before it takes
            // the lock to unregister, so a wait either sees it closed here or is found and woken there.
            if (owner is { IsClosed: true })
            {
                errno = Errno.EBADF;
                return null;
            }
            if (!_io.TryGetValue(fd, out IoRegistration? reg))
            {
                reg = new IoRegistration(this, fd, ++_nextToken);
                _io.Add(fd, reg);
                _ioByToken.Add(reg.Token, reg);
            }
            reg.Queue(interest).Add(waiter);
            waiter.Registration = reg;
            _ioWaiting++;
            errno = reg.ArmLocked();
            if (errno != 0)
            {
                reg.Queue(interest).Remove(waiter);
                _ioWaiting--;
                if (!reg.HasWaiters)
                    ForgetLocked(reg);
                AssertIoLocked();
                return null;
            }
            if (waiter.Limit is not null)
                AddTimerLocked(waiter.Limit);
            AssertIoLocked();
        }
        return waiter;
    }

    /// <summary>
    /// Ends a completed descriptor wait that had a deadline: drops its timer. True if the deadline,
    /// not readiness, ended it.
    /// </summary>
    internal bool EndIoWait(Waiter waiter)
    {
        if (waiter is not IoWaiter { Limit: TimerEntry limit } io)
            return false;
        lock (Lock)
            RemoveTimerLocked(limit);
        return io.Value is IoTimedOut;
    }

    /// <summary>What a completed I/O wait reports: the readiness, or <see cref="ObjectDisposedException"/> if the descriptor was closed.</summary>
    internal static PollEvents IoResult(Waiter waiter, object? source)
    {
        if (waiter.Value is IoClosed)
            throw new ObjectDisposedException(source?.GetType().Name ?? "descriptor", "The descriptor was closed while a fiber waited on it.");
        return (PollEvents)waiter.Value!;
    }

    /// <summary>
    /// Forgets <paramref name="fd"/> before it is closed: unregisters it from the poller and wakes every
    /// fiber waiting on it with <see cref="ObjectDisposedException"/>. Any thread.
    /// </summary>
    internal void CloseDescriptor(IntPtr fd)
    {
        List<IoWaiter> waiters;
        lock (Lock)
        {
            if (!_io.TryGetValue(fd, out IoRegistration? reg))
                return;
            waiters = reg.TakeAllLocked();
            ForgetLocked(reg);
            AssertIoLocked();
        }
        foreach (IoWaiter w in waiters)
            if (w.TryComplete(IoClosed.Instance))
                w.Signal();
    }

    /// <summary>Drops a registration (its waiters already taken) from the tables and the poller.</summary>
    private void ForgetLocked(IoRegistration reg)
    {
        Debug.Assert(!reg.HasWaiters);
        _io.Remove(reg.Fd);
        _ioByToken.Remove(reg.Token);
        if (reg.Added)
            _poller.Remove(reg.Fd);   // EBADF/ENOENT: already gone with the descriptor, which is all we want
    }

    private void ForgetAllDescriptorsLocked()
    {
        _io.Clear();
        _ioByToken.Clear();
    }

    [Conditional("DEBUG")]
    private void AssertIoLocked()
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        int queued = 0;
        foreach (IoRegistration r in _io.Values)
        {
            Debug.Assert(_ioByToken.TryGetValue(r.Token, out IoRegistration? same) && same == r, "a registration missing from the token table");
            queued += r.Readers.Count + r.Writers.Count;
        }
        Debug.Assert(queued == _ioWaiting, $"_ioWaiting {_ioWaiting} but {queued} waiters queued");
        Debug.Assert(_io.Count == _ioByToken.Count);
    }

    /// <summary>
    /// Under load the idle step never runs, so the holder polls for I/O without sleeping every few
    /// hand-offs; otherwise a kernel that always has a runnable fiber would starve its descriptors.
    /// </summary>
    internal void PollIoIfDue()
    {
        if (Volatile.Read(ref _ioWaiting) == 0 || ++_handOffsSincePoll < 16)
            return;
        if (Interlocked.CompareExchange(ref _eventsInUse, 1, 0) != 0)
            return;   // a fiber detached mid-poll is still using the buffer; the next hand-off polls
        _handOffsSincePoll = 0;
        try
        {
            DispatchIo(WaitOnPoller(0));
        }
        finally
        {
            Volatile.Write(ref _eventsInUse, 0);
        }
    }

    /// <summary>Completes the waits the poller reported in <c>_events[0..n)</c>.</summary>
    private void DispatchIo(int n)
    {
        if (n == 0)
            return;
        List<IoWaiter>? ready = null;
        lock (Lock)
        {
            for (int i = 0; i < n; i++)
            {
                if (!_ioByToken.TryGetValue(_events[i].Token, out IoRegistration? reg))
                    continue;   // closed meanwhile
                reg.Armed = PollEvents.None;
                reg.TakeReadyLocked(_events[i].Events, ref ready);
                reg.RearmLocked(ref ready);
            }
            AssertIoLocked();
        }
        if (ready is not null)
            foreach (IoWaiter w in ready)
                w.Signal();
    }

    /// <summary>The undo of a cancelled descriptor wait: leave the queue and re-arm for what remains.</summary>
    private void LeaveIo(IoWaiter waiter)
    {
        List<IoWaiter>? broken = null;
        lock (Lock)
        {
            IoRegistration? reg = waiter.Registration;
            if (reg is null || !reg.Queue(waiter.Interest).Remove(waiter))
                return;   // completed (and dequeued) meanwhile, or its descriptor was closed
            _ioWaiting--;
            // Only the registration now under that number: after a close, the number may have been
            // reused by a newer registration with another token.
            if (_io.TryGetValue(reg.Fd, out IoRegistration? current) && current == reg)
                reg.RearmLocked(ref broken);
            AssertIoLocked();
        }
        if (broken is not null)
            foreach (IoWaiter w in broken)
                w.Signal();
    }

    /// <summary>One descriptor registered on this kernel's poller.</summary>
    private sealed class IoRegistration(Kernel kernel, IntPtr fd, ulong token)
    {
        internal readonly IntPtr Fd = fd;
        internal readonly ulong Token = token;
        internal readonly List<IoWaiter> Readers = [], Writers = [];   // waiting fibers, first come first woken
        internal PollEvents Armed;             // interest the poller is armed with now
        internal bool Added;                   // registered with the poller at all

        internal List<IoWaiter> Queue(PollEvents interest) => interest == PollEvents.Readable ? Readers : Writers;

        internal bool HasWaiters => Readers.Count + Writers.Count > 0;

        /// <summary>Arms the poller for exactly the directions waited on (lock held); 0 or the errno the OS refused with.</summary>
        internal int ArmLocked()
        {
            PollEvents want = (Readers.Count == 0 ? 0 : PollEvents.Readable) | (Writers.Count == 0 ? 0 : PollEvents.Writable);
            if (want == Armed && (want == PollEvents.None || Added))
                return 0;
            int errno = kernel._poller.TryArm(Fd, want, Token, registered: Added);
            if (errno != 0)
                return errno;
            Added = true;
            Armed = want;
            return 0;
        }

        /// <summary>
        /// Re-arms for the waiters left (lock held). If the OS refuses (the descriptor was closed behind
        /// the kernel's back), they complete as if broken, so each retries and meets the error itself.
        /// </summary>
        internal void RearmLocked(ref List<IoWaiter>? ready)
        {
            if (ArmLocked() != 0)
                TakeReadyLocked(PollEvents.Error, ref ready);
        }

        /// <summary>Claims the waiters that <paramref name="events"/> satisfies (lock held): the first per ready direction, or all if broken.</summary>
        internal void TakeReadyLocked(PollEvents events, ref List<IoWaiter>? ready)
        {
            bool broken = (events & (PollEvents.Error | PollEvents.HangUp)) != 0;
            if (broken || events.HasFlag(PollEvents.Readable))
                Take(Readers, events, all: broken, ref ready);
            if (broken || events.HasFlag(PollEvents.Writable))
                Take(Writers, events, all: broken, ref ready);
        }

        /// <summary>Takes every waiter of both directions (lock held), for a close.</summary>
        internal List<IoWaiter> TakeAllLocked()
        {
            List<IoWaiter> all = [.. Readers, .. Writers];
            kernel._ioWaiting -= all.Count;
            Readers.Clear();
            Writers.Clear();
            return all;
        }

        private void Take(List<IoWaiter> queue, PollEvents events, bool all, ref List<IoWaiter>? ready)
        {
            int i = 0;
            while (i < queue.Count)
            {
                IoWaiter w = queue[i];
                if (w.TryComplete(events))
                {
                    queue.RemoveAt(i);
                    kernel._ioWaiting--;
                    (ready ??= []).Add(w);
                    if (!all)
                        return;
                }
                else
                {
                    i++;   // being interrupted: its undo (LeaveIo) dequeues it
                }
            }
        }
    }

    /// <summary>A fiber waiting for one direction of a descriptor.</summary>
    private sealed class IoWaiter(Fiber fiber, PollEvents interest) : FiberWaiter(fiber)
    {
        internal PollEvents Interest { get; } = interest;
        internal IoRegistration? Registration;
        internal TimerEntry? Limit;   // the deadline's timer, if the wait has one

        internal override void Undo()
        {
            Fiber.Kernel.LeaveIo(this);
            if (Limit is not null)
                lock (Fiber.Kernel.Lock)
                    Fiber.Kernel.RemoveTimerLocked(Limit);
        }

        /// <summary>The deadline passed first: complete the wait as timed out and leave the queue.</summary>
        internal void Expire()
        {
            if (!TryComplete(IoTimedOut.Instance))
                return;
            Fiber.Kernel.LeaveIo(this);
            Signal();
        }

        internal override WaitKind Kind => WaitKind.Io;

        // The outside world (a peer, the network) completes it.
        internal override bool CanBeCompletedFromOutside => true;
    }

    /// <summary>The value an I/O wait completes with when its deadline passed first.</summary>
    private sealed class IoTimedOut
    {
        internal static readonly IoTimedOut Instance = new();
    }

    /// <summary>The value an I/O wait completes with when its descriptor is closed under it.</summary>
    private sealed class IoClosed
    {
        internal static readonly IoClosed Instance = new();
    }
}

using System.Diagnostics;
using Thredo.Fibers;

namespace Thredo.Kernel;

// Descriptor readiness on the kernel's poller.
//
// Discussion: registrations are level-triggered one-shot (see native/src/poller_epoll.c), one per
// descriptor per kernel, with at most one reader and one writer waiting. Arming re-checks the
// descriptor, so readiness that arrived between the failed try and the arm is not lost; a report
// goes to the waiter(s) it matches, and the registration is re-armed for a waiter still waiting.
// Error and hang-up complete both directions: the retried operation reports what happened.
internal sealed partial class Kernel
{
    /// <summary>
    /// Registers <paramref name="fiber"/>'s wait for <paramref name="fd"/> without parking anyone: the
    /// managed path parks the fiber's thread on it; a native fiber's host parks the native fiber.
    /// </summary>
    internal Waiter BeginIoWait(Fiber fiber, IntPtr fd, PollEvents interest, string operation, object? source)
    {
        Debug.Assert(interest is PollEvents.Readable or PollEvents.Writable);
        var waiter = new IoWaiter(fiber, interest) { Description = operation, Source = source };
        lock (Lock)
        {
            if (!_io.TryGetValue(fd, out IoRegistration? reg))
            {
                reg = new IoRegistration(this, fd, ++_nextToken);
                _io.Add(fd, reg);
                _ioByToken.Add(reg.Token, reg);
            }
            ref IoWaiter? slot = ref reg.Slot(interest);
            if (slot is not null)
                throw new InvalidOperationException($"Another fiber is already waiting to {(interest == PollEvents.Readable ? "read from" : "write to")} this descriptor; one reader and one writer at a time.");
            slot = waiter;
            waiter.Registration = reg;
            _ioWaiting++;
            reg.ArmLocked();
        }
        return waiter;
    }

    /// <summary>What a completed I/O wait reports: the readiness, or <see cref="ObjectDisposedException"/> if the descriptor was closed.</summary>
    internal static PollEvents IoResult(Waiter waiter, object? source)
    {
        if (waiter.Value is IoClosed)
            throw new ObjectDisposedException(source?.GetType().Name ?? "descriptor", "The descriptor was closed while a fiber waited on it.");
        return (PollEvents)waiter.Value!;
    }

    /// <summary>
    /// Forgets <paramref name="fd"/> before it is closed: unregisters it from the poller and wakes any
    /// fiber waiting on it with <see cref="ObjectDisposedException"/>. Any thread.
    /// </summary>
    internal void CloseDescriptor(IntPtr fd)
    {
        IoWaiter?[] waiters;
        lock (Lock)
        {
            if (!_io.Remove(fd, out IoRegistration? reg))
                return;
            _ioByToken.Remove(reg.Token);
            waiters = [reg.Reader, reg.Writer];
            _ioWaiting -= (reg.Reader is null ? 0 : 1) + (reg.Writer is null ? 0 : 1);   // those waits are over
            reg.Reader = reg.Writer = null;
            Debug.Assert(_ioWaiting >= 0);
            if (reg.Added)
                _poller.Remove(fd);
        }
        foreach (IoWaiter? w in waiters)
            if (w is not null && w.TryComplete(IoClosed.Instance))
                w.Signal();
    }

    private void ForgetAllDescriptorsLocked()
    {
        _io.Clear();
        _ioByToken.Clear();
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
            DispatchIo(_poller.Wait(_events, 0));
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
                reg.ArmLocked();
            }
        }
        if (ready is not null)
            foreach (IoWaiter w in ready)
                w.Signal();
    }

    /// <summary>The undo of a cancelled descriptor wait: leave the slot and re-arm for what remains.</summary>
    private void LeaveIo(IoWaiter waiter)
    {
        lock (Lock)
        {
            IoRegistration? reg = waiter.Registration;
            if (reg is null)
                return;
            ref IoWaiter? slot = ref reg.Slot(waiter.Interest);
            if (slot == waiter)
            {
                slot = null;
                _ioWaiting--;
            }
            if (_io.ContainsKey(reg.Fd))
                reg.ArmLocked();
        }
    }

    /// <summary>One descriptor registered on this kernel's poller.</summary>
    private sealed class IoRegistration(Kernel kernel, IntPtr fd, ulong token)
    {
        internal readonly IntPtr Fd = fd;
        internal readonly ulong Token = token;
        internal IoWaiter? Reader, Writer;     // the fibers waiting, one per direction
        internal PollEvents Armed;             // interest the poller is armed with now
        internal bool Added;                   // registered with the poller at all

        internal ref IoWaiter? Slot(PollEvents interest) =>
            ref interest == PollEvents.Readable ? ref Reader : ref Writer;

        /// <summary>Arms the poller for exactly the directions still waited on (lock held).</summary>
        internal void ArmLocked()
        {
            PollEvents want = (Reader is null ? 0 : PollEvents.Readable) | (Writer is null ? 0 : PollEvents.Writable);
            if (want == Armed && (want == PollEvents.None || Added))
                return;
            kernel._poller.Arm(Fd, want, Token, registered: Added);
            Added = true;
            Armed = want;
        }

        /// <summary>Claims the waiters that <paramref name="events"/> satisfies (lock held).</summary>
        internal void TakeReadyLocked(PollEvents events, ref List<IoWaiter>? ready)
        {
            bool broken = (events & (PollEvents.Error | PollEvents.HangUp)) != 0;
            if (Reader is IoWaiter r && (broken || events.HasFlag(PollEvents.Readable)) && r.TryComplete(events))
            {
                (ready ??= []).Add(r);
                Reader = null;
                kernel._ioWaiting--;
            }
            if (Writer is IoWaiter w && (broken || events.HasFlag(PollEvents.Writable)) && w.TryComplete(events))
            {
                (ready ??= []).Add(w);
                Writer = null;
                kernel._ioWaiting--;
            }
        }
    }

    /// <summary>A fiber waiting for one direction of a descriptor.</summary>
    private sealed class IoWaiter(Fiber fiber, PollEvents interest) : FiberWaiter(fiber)
    {
        internal PollEvents Interest { get; } = interest;
        internal IoRegistration? Registration;

        internal override void Undo() => Fiber.Kernel.LeaveIo(this);

        // The outside world (a peer, the network) completes it.
        internal override bool CanBeCompletedFromOutside => true;
    }

    /// <summary>The value an I/O wait completes with when its descriptor is closed under it.</summary>
    private sealed class IoClosed
    {
        internal static readonly IoClosed Instance = new();
    }
}

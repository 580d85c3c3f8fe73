using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>Readiness bits of <c>thredo_poll_event.events</c>, and the interest given when arming.</summary>
[Flags]
internal enum PollEvents : uint
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>Data (or end of stream) can be read.</summary>
    Readable = ThredoNative.THREDO_POLL_READABLE,
    /// <summary>Data can be written.</summary>
    Writable = ThredoNative.THREDO_POLL_WRITABLE,
    /// <summary>An error is pending on the descriptor (readiness only).</summary>
    Error = ThredoNative.THREDO_POLL_ERROR,
    /// <summary>The peer hung up (readiness only).</summary>
    HangUp = ThredoNative.THREDO_POLL_HANGUP,
}

/// <summary>
/// The event loop's poller (<c>thredo_poller</c>: epoll on Linux, an I/O completion port on Windows)
/// with its wake handle. Registrations are level-triggered and one-shot: arming reports once.
/// </summary>
internal sealed class PollerHandle : SafeHandle
{
    /// <summary>Used by the marshaller.</summary>
    public PollerHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Creates a poller and its wake handle.</summary>
    internal static PollerHandle Create()
    {
        ThrowHelper.Check(ThredoNative.thredo_poller_create(out PollerHandle poller), "thredo_poller_create");
        return poller;
    }

    /// <summary>Registers <paramref name="fd"/> and arms it for one report of <paramref name="interest"/>.</summary>
    internal void Add(IntPtr fd, PollEvents interest, ulong token) =>
        ThrowHelper.Check(ThredoNative.thredo_poller_add(this, fd, (uint)interest, token), "thredo_poller_add");

    /// <summary>Re-arms a registered descriptor for one report of <paramref name="interest"/>.</summary>
    internal void Modify(IntPtr fd, PollEvents interest, ulong token) =>
        ThrowHelper.Check(ThredoNative.thredo_poller_modify(this, fd, (uint)interest, token), "thredo_poller_modify");

    /// <summary>
    /// Arms <paramref name="fd"/> for one report of <paramref name="interest"/>, registering it if
    /// <paramref name="registered"/> is false. Tolerates a descriptor number that was closed and
    /// reused behind the caller's back (C code on native fibers closes its own descriptors): a modify
    /// that finds nothing registers, a register that finds an entry modifies. Returns 0 or the errno
    /// (EBADF: the descriptor is closed), never throws: the kernel undoes the wait it was arming.
    /// </summary>
    internal int TryArm(IntPtr fd, PollEvents interest, ulong token, bool registered)
    {
        int r = registered
            ? ThredoNative.thredo_poller_modify(this, fd, (uint)interest, token)
            : ThredoNative.thredo_poller_add(this, fd, (uint)interest, token);
        if (r == -Errno.ENOENT && registered)
            r = ThredoNative.thredo_poller_add(this, fd, (uint)interest, token);
        else if (r == -Errno.EEXIST && !registered)
            r = ThredoNative.thredo_poller_modify(this, fd, (uint)interest, token);
        return r < 0 ? -r : 0;
    }

    /// <summary>Unregisters <paramref name="fd"/>; returns the negative errno instead of throwing.</summary>
    internal int Remove(IntPtr fd) => ThredoNative.thredo_poller_remove(this, fd);

    /// <summary>Waits up to <paramref name="timeoutNs"/> (negative: forever) and fills <paramref name="events"/>.</summary>
    /// <returns>The number of events filled; 0 on timeout or wake.</returns>
    internal unsafe int Wait(Span<PollEvent> events, long timeoutNs)
    {
        fixed (PollEvent* p = events)
        {
            int n = ThredoNative.thredo_poller_wait(this, p, events.Length, timeoutNs);
            return n >= 0 ? n : ThrowHelper.Check(n, "thredo_poller_wait");
        }
    }

    /// <summary>Ends the current or the next <see cref="Wait"/> early. Any thread; wakes coalesce.</summary>
    internal void Wake() => ThrowHelper.Check(ThredoNative.thredo_poller_wake(this), "thredo_poller_wake");

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        ThredoNative.thredo_poller_destroy(handle);
        return true;
    }
}

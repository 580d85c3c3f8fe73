using System.Diagnostics;
using Thredo.Fibers;

namespace Thredo.IO;

/// <summary>
/// A descriptor (pipe end, pidfd) whose readiness fibers wait for through their kernel's poller, and plain
/// threads through poll(2). Remembers every kernel that registered it, so that closing it first
/// unregisters it everywhere and wakes the fibers waiting on it.
/// </summary>
/// <remarks>
/// Closing goes through <see cref="Kernel.WatchedDescriptor"/> (every kernel unregisters it and wakes its
/// waiters) before the handle is released; a read in flight keeps the number reserved until it returns
/// (the handle is a <see cref="System.Runtime.InteropServices.SafeHandle"/>).
/// </remarks>
internal sealed class PolledDescriptor : IDisposable
{
    private readonly Kernel.WatchedDescriptor _watched;

    internal PolledDescriptor(FileDescriptorHandle handle)
    {
        Handle = handle;
        _watched = new Kernel.WatchedDescriptor(handle.DangerousGetHandle());
    }

    /// <summary>The owned descriptor.</summary>
    internal FileDescriptorHandle Handle { get; }

    /// <summary>True once <see cref="Dispose"/> has begun.</summary>
    internal bool IsDisposed => _watched.IsClosed;

    /// <summary>
    /// Blocks until the descriptor is ready for <paramref name="interest"/> (or broken: error, hang-up). On a
    /// fiber it parks the fiber (a cancellation point); on a plain thread it blocks the thread in poll(2).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The descriptor was or got closed.</exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting.</exception>
    internal void WaitReady(PollEvents interest, string operation, object source)
    {
        Debug.Assert(interest is PollEvents.Readable or PollEvents.Writable);
        bool added = false;
        Handle.DangerousAddRef(ref added);   // throws ObjectDisposedException once closed
        try
        {
            if (Fiber.CurrentOrNull is Fiber self)
            {
                _watched.Wait(self, interest, operation, source);
            }
            else
            {
                int revents = Handle.Poll(interest == PollEvents.Readable ? Posix.POLLIN : Posix.POLLOUT, -1);
                if (revents < 0)
                    ThrowHelper.ThrowIO(-revents, operation);
            }
        }
        finally
        {
            Handle.DangerousRelease();
        }
    }

    /// <summary>Unregisters the descriptor from every kernel that saw it (waking its waiters), then closes it. Idempotent.</summary>
    public void Dispose()
    {
        if (_watched.Close())
            Handle.Dispose();
    }
}

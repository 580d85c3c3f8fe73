using System.Diagnostics;
using Thredo.Fibers;

namespace Thredo.IO;

/// <summary>
/// A descriptor (pipe end, pidfd) whose readiness fibers wait for through their kernel's poller, and plain
/// threads through poll(2). Remembers every kernel that registered it, so that closing it first
/// unregisters it everywhere and wakes the fibers waiting on it.
/// </summary>
/// <remarks>
/// Discussion: the kernel keys registrations by descriptor number. Closing a descriptor behind a kernel's
/// back would leave a stale registration under a number the OS soon hands out again (a later pipe), and
/// arming that one would fail. So <see cref="Dispose"/> calls <c>Kernel.CloseDescriptor</c> on every kernel
/// that saw the descriptor before the handle is released; a read in flight keeps the number reserved
/// until it returns (the handle is a <see cref="System.Runtime.InteropServices.SafeHandle"/>). A fiber
/// that starts waiting in the instant between those two steps is not woken by the close; it ends when the
/// descriptor becomes ready (for a pipe: the child closes its end or exits), then finds it disposed.
/// </remarks>
internal sealed class PolledDescriptor : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<Kernel.Kernel> _kernels = [];   // kernels that registered the descriptor (under _lock)
    private bool _disposed;                               // no new waits (under _lock)

    internal PolledDescriptor(FileDescriptorHandle handle) => Handle = handle;

    /// <summary>The owned descriptor.</summary>
    internal FileDescriptorHandle Handle { get; }

    /// <summary>True once <see cref="Dispose"/> has begun.</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed);

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
                lock (_lock)
                {
                    ObjectDisposedException.ThrowIf(_disposed, source);
                    if (!_kernels.Contains(self.Kernel))
                        _kernels.Add(self.Kernel);
                }
                self.Kernel.WaitForIo(self, Handle.DangerousGetHandle(), interest, operation, source);
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
        Kernel.Kernel[] kernels;
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            kernels = [.. _kernels];
            _kernels.Clear();
        }
        IntPtr fd = Handle.DangerousGetHandle();
        foreach (Kernel.Kernel k in kernels)
        {
            try
            {
                k.CloseDescriptor(fd);
            }
            catch (ObjectDisposedException)
            {
                // That kernel's Fiber.Run has ended and its poller is gone, registrations with it.
            }
        }
        Handle.Dispose();
    }
}

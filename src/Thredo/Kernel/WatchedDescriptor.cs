using Thredo.Fibers;

namespace Thredo.Kernel;

/// <summary>
/// A descriptor that fibers wait on through their kernels' pollers (a socket, a pipe end, a pidfd),
/// and the one way to close it: every kernel that registered it unregisters it and wakes its waiters
/// with <see cref="ObjectDisposedException"/> before the owner releases the OS handle.
/// </summary>
/// <remarks>
/// Discussion: kernels key registrations by descriptor number, which the OS hands out again as soon
/// as it is closed, so a registration left behind would belong to the wrong file. A wait and a close
/// can race from any two threads, even with one kernel (a plain thread disposing a socket a fiber
/// reads). <see cref="Close"/> marks the descriptor closed before it takes each kernel's lock, and
/// <c>Kernel.BeginIoWait</c> checks the mark under that lock, so every wait either sees the mark and
/// never registers, or registers first and is woken by the close. The owner closes the OS handle only
/// after <see cref="Close"/> returns, so an arm under the kernel lock never meets a reused number.
/// </remarks>
internal sealed class WatchedDescriptor(IntPtr fd)
{
    private readonly Lock _lock = new();
    private readonly List<Kernel> _kernels = new(1);   // kernels that registered it (under _lock)
    private volatile bool _closed;

    /// <summary>The descriptor (a SOCKET or HANDLE on Windows).</summary>
    internal IntPtr Fd { get; } = fd;

    /// <summary>True once <see cref="Close"/> has begun: no new wait starts.</summary>
    internal bool IsClosed => _closed;

    /// <summary>
    /// Parks <paramref name="self"/> until the descriptor is ready for <paramref name="interest"/> (or
    /// broken). A cancellation point.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The descriptor was or got closed (named after <paramref name="source"/>).</exception>
    internal PollEvents Wait(Fiber self, PollEvents interest, string operation, object source)
    {
        Kernel kernel = self.Kernel;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, source);
            if (!_kernels.Contains(kernel))
                _kernels.Add(kernel);
        }
        return kernel.WaitForIo(self, Fd, interest, operation, source, this);
    }

    /// <summary>Unregisters the descriptor from every kernel that saw it, waking their waiters. Idempotent; any thread.</summary>
    /// <returns>True for the call that closed it; the caller then releases the OS handle.</returns>
    internal bool Close()
    {
        Kernel[] kernels;
        lock (_lock)
        {
            if (_closed)
                return false;
            _closed = true;
            kernels = [.. _kernels];
            _kernels.Clear();
        }
        foreach (Kernel k in kernels)
            k.CloseDescriptor(Fd);
        return true;
    }
}

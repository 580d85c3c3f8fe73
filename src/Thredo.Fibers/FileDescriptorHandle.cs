using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>
/// An owned POSIX file descriptor (a pipe end, a pidfd). Closed exactly once, after the last call using it
/// has returned: every member takes a reference for the duration of its syscall, so a concurrent
/// <see cref="SafeHandle.Dispose()"/> can never let the number be reused under a running read.
/// </summary>
/// <remarks>
/// Members return a non-negative result or a negative errno instead of throwing, so the retry loops of the
/// I/O layer (EAGAIN, EINTR) carry no exception handling; <see cref="ThrowHelper.ThrowIO"/> makes the exception.
/// </remarks>
internal sealed unsafe class FileDescriptorHandle : SafeHandle
{
    /// <summary>Used by the marshaller.</summary>
    public FileDescriptorHandle() : base(new IntPtr(-1), ownsHandle: true) { }

    /// <summary>Takes ownership of <paramref name="fd"/>.</summary>
    internal FileDescriptorHandle(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(fd);

    /// <inheritdoc/>
    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number. Valid only while the handle is open (callers use it as a poller key).</summary>
    internal int Fd => (int)handle;

    /// <summary>
    /// Creates a pipe whose both ends are close-on-exec (so concurrent spawns never inherit them). Returns 0
    /// or a negative errno.
    /// </summary>
    internal static int CreatePipe(out FileDescriptorHandle? readEnd, out FileDescriptorHandle? writeEnd)
    {
        int* fds = stackalloc int[2];
        if (Posix.pipe2(fds, Posix.O_CLOEXEC) != 0)
        {
            readEnd = writeEnd = null;
            return -Posix.LastErrno;
        }
        readEnd = new FileDescriptorHandle(fds[0]);
        writeEnd = new FileDescriptorHandle(fds[1]);
        return 0;
    }

    /// <summary>Opens a pidfd for <paramref name="pid"/> (Linux 5.3+). Returns 0 or a negative errno (ENOSYS: too old).</summary>
    internal static int OpenPid(int pid, out FileDescriptorHandle? pidfd)
    {
        int fd = Posix.pidfd_open(pid, 0);
        if (fd < 0)
        {
            pidfd = null;
            return -Posix.LastErrno;
        }
        pidfd = new FileDescriptorHandle(fd);
        return 0;
    }

    /// <summary>Sets O_NONBLOCK on this descriptor's open file description. Returns 0 or a negative errno.</summary>
    internal int SetNonBlocking() => Use(static fd =>
    {
        int flags = Posix.fcntl(fd, Posix.F_GETFL, 0);
        if (flags < 0 || Posix.fcntl(fd, Posix.F_SETFL, flags | Posix.O_NONBLOCK) < 0)
            return -Posix.LastErrno;
        return 0;
    });

    /// <summary>read(2), retried on EINTR. Returns the byte count (0 at end of file) or a negative errno (EAGAIN: nothing yet).</summary>
    internal int Read(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
            return Transfer(p, buffer.Length, write: false);
    }

    /// <summary>write(2), retried on EINTR. Returns the byte count written or a negative errno (EAGAIN: full; EPIPE: reader gone).</summary>
    internal int Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
            return Transfer(p, buffer.Length, write: true);
    }

    private int Transfer(byte* p, int length, bool write)
    {
        bool added = false;
        DangerousAddRef(ref added);
        try
        {
            while (true)
            {
                nint n = write ? Posix.write(Fd, p, (nuint)length) : Posix.read(Fd, p, (nuint)length);
                if (n >= 0)
                    return (int)n;
                int errno = Posix.LastErrno;
                if (errno != Errno.EINTR)
                    return -errno;
            }
        }
        finally
        {
            DangerousRelease();
        }
    }

    /// <summary>
    /// poll(2) on this descriptor alone, blocking the thread up to <paramref name="timeoutMs"/> (-1: forever);
    /// retried on EINTR. Returns the revents (0 on timeout) or a negative errno. For plain threads only:
    /// fibers wait through their kernel's poller.
    /// </summary>
    internal int Poll(short events, int timeoutMs)
    {
        bool added = false;
        DangerousAddRef(ref added);
        try
        {
            var pfd = new Posix.PollFd { Fd = Fd, Events = events };
            while (true)
            {
                int n = Posix.poll(&pfd, 1, timeoutMs);
                if (n >= 0)
                    return n == 0 ? 0 : pfd.Revents;
                int errno = Posix.LastErrno;
                if (errno != Errno.EINTR)
                    return -errno;
            }
        }
        finally
        {
            DangerousRelease();
        }
    }

    /// <summary>Runs <paramref name="call"/> with the descriptor number, holding a reference meanwhile.</summary>
    internal int Use(Func<int, int> call)
    {
        bool added = false;
        DangerousAddRef(ref added);
        try
        {
            return call(Fd);
        }
        finally
        {
            DangerousRelease();
        }
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() =>
        // On Linux the descriptor is released even when close reports EINTR, so never retry.
        Posix.close((int)handle) == 0 || Posix.LastErrno == Errno.EINTR;
}

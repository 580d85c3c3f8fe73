using Thredo.Fibers;
using Thredo.Kernel;

namespace Thredo.IO;

/// <summary>
/// A non-blocking descriptor that the kernel's poller can wait on (a pipe end to a child process) as the
/// channel of a <see cref="FiberStream"/>: a read that finds nothing, or a write that finds the pipe full,
/// parks the fiber through <see cref="PolledDescriptor.WaitReady"/> (off a fiber: blocks the thread in poll(2)).
/// </summary>
internal sealed class DescriptorChannel : ByteChannel
{
    /// <summary>The owned descriptor, already in non-blocking mode.</summary>
    private readonly PolledDescriptor _fd;

    /// <summary>What it is, for messages and deadlock reports: "stdout of 'ls' (pid 42)".</summary>
    private readonly string _name;

    /// <summary>Wraps <paramref name="handle"/> (owned from now on) for reading or for writing.</summary>
    internal DescriptorChannel(FileDescriptorHandle handle, bool forWriting, string name)
    {
        _fd = new PolledDescriptor(handle);
        CanWrite = forWriting;
        _name = name;
    }

    /// <inheritdoc/>
    internal override bool CanRead => !CanWrite;

    /// <inheritdoc/>
    internal override bool CanWrite { get; }

    /// <inheritdoc/>
    internal override int Read(Span<byte> buffer)
    {
        Blocking.Checkpoint();
        while (true)
        {
            int n = _fd.Handle.Read(buffer);
            if (n >= 0)
                return n;
            if (n != -Errno.EAGAIN)
                ThrowHelper.ThrowIO(-n, $"Reading the {_name}");
            _fd.WaitReady(PollEvents.Readable, "Read", this);
        }
    }

    /// <inheritdoc/>
    internal override int Write(ReadOnlySpan<byte> buffer)
    {
        Blocking.Checkpoint();
        while (true)
        {
            int n = _fd.Handle.Write(buffer);
            if (n >= 0)
                return n;
            if (n != -Errno.EAGAIN)
                ThrowHelper.ThrowIO(-n, $"Writing the {_name}");   // EPIPE: the child closed its stdin or ended
            _fd.WaitReady(PollEvents.Writable, "Write", this);
        }
    }

    /// <summary>Unregisters the descriptor from every kernel that waited on it (waking those waiters), then closes it. Idempotent.</summary>
    public override void Dispose() => _fd.Dispose();

    /// <inheritdoc/>
    public override string ToString() => _name;
}

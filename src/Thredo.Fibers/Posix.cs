using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

// The I/O tests send signals to their own process and check reaping with waitid (Posix.kill, Posix.waitid).
[assembly: InternalsVisibleTo("Thredo.Tests")]

namespace Thredo.Fibers;

/// <summary>
/// The libc calls Thredo's I/O layer needs (pipes, descriptors, poll, child processes, signals), one
/// <c>LibraryImport</c> per C symbol under the same name. Kept apart from <see cref="ThredoNative"/>, whose
/// imports must match the exports of thredo_native exactly.
/// </summary>
/// <remarks>
/// Error convention: every import that reports failure through errno has <c>SetLastError = true</c>, so the
/// generated stub clears errno before the call and saves it after; read it with
/// <see cref="Marshal.GetLastPInvokeError"/> (or <see cref="Posix.LastErrno"/>) right after a call that
/// returned -1, and turn it into an exception with <see cref="ThrowHelper.ThrowIO"/>. The posix_spawn family
/// returns its error number instead and leaves errno alone. Constants are Linux's (the same on x64 and
/// arm64, which share the generic ABI for these).
/// </remarks>
internal static unsafe partial class Posix
{
    /// <summary>The errno saved by the last <c>SetLastError</c> import on this thread.</summary>
    internal static int LastErrno => Marshal.GetLastPInvokeError();

    private const string Libc = "libc";

    // open(2) / fcntl(2) flags.
    internal const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2;
    internal const int O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    internal const int F_GETFL = 3, F_SETFL = 4;

    // poll(2) events.
    internal const short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;

    // waitid(2).
    internal const int P_PID = 1, P_PIDFD = 3;
    internal const int WNOHANG = 0x1, WEXITED = 0x4;
    internal const int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;

    // Signals (Linux numbering).
    internal const int SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12, SIGTERM = 15;
    internal const nint SIG_DFL = 0, SIG_IGN = 1;

    // posix_spawnattr_setflags(3) flags (glibc values).
    internal const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;

    /// <summary>Bytes reserved for a <c>posix_spawn_file_actions_t</c> (80 in glibc x64; generous on purpose).</summary>
    internal const int FileActionsSize = 256;

    /// <summary>Bytes reserved for a <c>posix_spawnattr_t</c> (336 in glibc x64; generous on purpose).</summary>
    internal const int SpawnAttrSize = 1024;

    /// <summary>Bytes of a <c>sigset_t</c> in glibc (1024 bits).</summary>
    internal const int SigSetSize = 128;

    [LibraryImport(Libc, SetLastError = true)] internal static partial int pipe2(int* fds, int flags);
    [LibraryImport(Libc, SetLastError = true)] internal static partial int close(int fd);
    [LibraryImport(Libc, SetLastError = true)] internal static partial nint read(int fd, byte* buffer, nuint count);
    [LibraryImport(Libc, SetLastError = true)] internal static partial nint write(int fd, byte* buffer, nuint count);

    /// <summary>
    /// <c>int fcntl(int fd, int cmd, ...)</c> with one <c>int</c> argument. The C function is variadic;
    /// calling it through a fixed signature is sound on the Linux x64 and arm64 ABIs for integer arguments
    /// (glibc reads the third argument with <c>va_arg</c> as a long-sized slot).
    /// </summary>
    [LibraryImport(Libc, SetLastError = true)] internal static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Libc, SetLastError = true)] internal static partial int poll(PollFd* fds, nuint count, int timeoutMs);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkfifo(string path, uint mode);

    [LibraryImport(Libc, SetLastError = true)] internal static partial int getpid();
    [LibraryImport(Libc)] internal static partial int gettid();
    [LibraryImport(Libc, SetLastError = true)] internal static partial int kill(int pid, int signal);

    /// <summary><c>signal(2)</c>: sets a disposition (<see cref="SIG_DFL"/>, <see cref="SIG_IGN"/>); returns the previous one, -1 on error. The tests use it to make a signal ignored, as a parent shell can.</summary>
    [LibraryImport(Libc, SetLastError = true)] internal static partial nint signal(int signal, nint handler);
    [LibraryImport(Libc, SetLastError = true)] internal static partial int pidfd_open(int pid, uint flags);
    [LibraryImport(Libc, SetLastError = true)] internal static partial int pidfd_send_signal(int pidfd, int signal, void* info, uint flags);
    [LibraryImport(Libc, SetLastError = true)] internal static partial int waitid(int idType, uint id, SigInfo* info, int options);

    // posix_spawn(3) and helpers: they return an error number (0 on success) and do not set errno
    // (sigemptyset and sigfillset, last, are ordinary -1/errno calls).
    [LibraryImport(Libc)] internal static partial int posix_spawnp(int* pid, byte* file, void* fileActions, void* attr, byte** argv, byte** envp);
    [LibraryImport(Libc)] internal static partial int posix_spawn_file_actions_init(void* actions);
    [LibraryImport(Libc)] internal static partial int posix_spawn_file_actions_destroy(void* actions);
    [LibraryImport(Libc)] internal static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);
    [LibraryImport(Libc)] internal static partial int posix_spawn_file_actions_addclose(void* actions, int fd);
    [LibraryImport(Libc)] internal static partial int posix_spawnattr_init(void* attr);
    [LibraryImport(Libc)] internal static partial int posix_spawnattr_destroy(void* attr);
    [LibraryImport(Libc)] internal static partial int posix_spawnattr_setflags(void* attr, short flags);
    [LibraryImport(Libc)] internal static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);
    [LibraryImport(Libc)] internal static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);
    [LibraryImport(Libc, SetLastError = true)] internal static partial int sigemptyset(void* sigset);
    [LibraryImport(Libc, SetLastError = true)] internal static partial int sigfillset(void* sigset);

    /// <summary><c>struct pollfd</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>
    /// The start of <c>siginfo_t</c> as waitid fills it for SIGCHLD (Linux, 64-bit): signo, errno, code, a
    /// pad, then pid, uid and status. The whole structure is 128 bytes.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    internal struct SigInfo
    {
        [FieldOffset(0)] public int Signo;
        [FieldOffset(8)] public int Code;
        [FieldOffset(16)] public int Pid;
        [FieldOffset(24)] public int Status;
    }
}

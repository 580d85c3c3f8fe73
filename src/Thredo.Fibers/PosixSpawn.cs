using System.Runtime.InteropServices;
using System.Text;

namespace Thredo.Fibers;

/// <summary>
/// Starting, signalling and reaping child processes with posix_spawn, pidfds and waitid, so that the
/// runtime never needs a thread per child. System.Diagnostics.Process is deliberately not used: it reaps
/// its children from its own SIGCHLD handling and keeps threads for their pipes.
/// </summary>
internal static unsafe class PosixSpawn
{
    /// <summary>
    /// Starts <paramref name="file"/> (looked up in PATH if it has no slash) with <paramref name="argv"/>
    /// and <paramref name="envp"/> (<c>NAME=value</c>), its descriptors 0, 1 and 2 being the given ones.
    /// The child gets an empty signal mask and every signal at its default action (the .NET runtime ignores
    /// SIGPIPE, which a child must not inherit). Returns 0 or a positive error number (ENOENT: not found).
    /// </summary>
    internal static int Spawn(string file, string[] argv, string[] envp, FileDescriptorHandle stdin,
        FileDescriptorHandle stdout, FileDescriptorHandle stderr, out int pid)
    {
        var native = new List<IntPtr>();
        byte* actions = stackalloc byte[Posix.FileActionsSize];
        byte* attr = stackalloc byte[Posix.SpawnAttrSize];
        byte* sigset = stackalloc byte[Posix.SigSetSize];
        bool added0 = false, added1 = false, added2 = false;
        bool actionsReady = false, attrReady = false;
        try
        {
            stdin.DangerousAddRef(ref added0);
            stdout.DangerousAddRef(ref added1);
            stderr.DangerousAddRef(ref added2);
            byte* nativeFile = Utf8(file, native);
            byte** nativeArgv = Array(argv, native);
            byte** nativeEnvp = Array(envp, native);

            int error = Posix.posix_spawn_file_actions_init(actions);
            if (error != 0) { pid = 0; return error; }
            actionsReady = true;
            // dup2 clears close-on-exec on the copy; the originals (close-on-exec) vanish at exec.
            if ((error = Posix.posix_spawn_file_actions_adddup2(actions, stdin.Fd, 0)) != 0 ||
                (error = Posix.posix_spawn_file_actions_adddup2(actions, stdout.Fd, 1)) != 0 ||
                (error = Posix.posix_spawn_file_actions_adddup2(actions, stderr.Fd, 2)) != 0)
            {
                pid = 0;
                return error;
            }

            if ((error = Posix.posix_spawnattr_init(attr)) != 0) { pid = 0; return error; }
            attrReady = true;
            // These cannot fail with valid arguments (EINVAL only), so a failure is a bug worth reporting.
            if ((error = Posix.sigemptyset(sigset)) != 0 ||
                (error = Posix.posix_spawnattr_setsigmask(attr, sigset)) != 0 ||
                (error = Posix.sigfillset(sigset)) != 0 ||
                (error = Posix.posix_spawnattr_setsigdefault(attr, sigset)) != 0 ||
                (error = Posix.posix_spawnattr_setflags(attr, Posix.POSIX_SPAWN_SETSIGMASK | Posix.POSIX_SPAWN_SETSIGDEF)) != 0)
            {
                pid = 0;
                return error < 0 ? Posix.LastErrno : error;   // sig*set report through errno
            }

            int childPid;
            error = Posix.posix_spawnp(&childPid, nativeFile, actions, attr, nativeArgv, nativeEnvp);
            pid = error == 0 ? childPid : 0;
            return error;
        }
        finally
        {
            if (attrReady) _ = Posix.posix_spawnattr_destroy(attr);            // cannot fail in glibc
            if (actionsReady) _ = Posix.posix_spawn_file_actions_destroy(actions);
            foreach (IntPtr p in native)
                NativeMemory.Free((void*)p);
            if (added2) stderr.DangerousRelease();
            if (added1) stdout.DangerousRelease();
            if (added0) stdin.DangerousRelease();
        }
    }

    /// <summary>Sends <paramref name="signal"/> through <paramref name="pidfd"/> (never to a recycled pid). Returns 0 or a negative errno (ESRCH: already ended).</summary>
    internal static int SendSignal(FileDescriptorHandle pidfd, int signal) =>
        pidfd.Use(fd => Posix.pidfd_send_signal(fd, signal, null, 0) == 0 ? 0 : -Posix.LastErrno);

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> (for kernels without pidfds). Returns 0 or a negative errno.</summary>
    internal static int SendSignal(int pid, int signal) => Posix.kill(pid, signal) == 0 ? 0 : -Posix.LastErrno;

    /// <summary>
    /// Reaps the child if it has ended, without blocking: waitid(P_PIDFD or P_PID, WEXITED | WNOHANG).
    /// Returns 1 with <paramref name="code"/> (CLD_EXITED, CLD_KILLED, CLD_DUMPED) and
    /// <paramref name="status"/> (exit status or signal number) once reaped, 0 if it still runs, or a
    /// negative errno (ECHILD: not our child, or already reaped by someone else).
    /// </summary>
    internal static int TryReap(FileDescriptorHandle? pidfd, int pid, out int code, out int status)
    {
        Posix.SigInfo info = default;   // WNOHANG with nothing to reap leaves Pid 0
        int result;
        bool added = false;
        try
        {
            pidfd?.DangerousAddRef(ref added);
            result = pidfd is null
                ? Posix.waitid(Posix.P_PID, (uint)pid, &info, Posix.WEXITED | Posix.WNOHANG)
                : Posix.waitid(Posix.P_PIDFD, (uint)pidfd.Fd, &info, Posix.WEXITED | Posix.WNOHANG);
            if (result != 0)
                result = -Posix.LastErrno;
        }
        finally
        {
            if (added) pidfd!.DangerousRelease();
        }
        code = info.Code;
        status = info.Status;
        return result != 0 ? result : info.Pid == 0 ? 0 : 1;
    }

    private static byte* Utf8(string s, List<IntPtr> owned)
    {
        int length = Encoding.UTF8.GetByteCount(s);
        byte* p = (byte*)NativeMemory.Alloc((nuint)length + 1);
        owned.Add((IntPtr)p);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, length));
        p[length] = 0;
        return p;
    }

    private static byte** Array(string[] items, List<IntPtr> owned)
    {
        byte** array = (byte**)NativeMemory.Alloc((nuint)(items.Length + 1), (nuint)sizeof(byte*));
        owned.Add((IntPtr)array);
        for (int i = 0; i < items.Length; i++)
            array[i] = Utf8(items[i], owned);
        array[items.Length] = null;
        return array;
    }
}

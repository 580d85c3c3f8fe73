using System.Collections;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Thredo.Fibers;

namespace Thredo.IO;

/// <summary>
/// A running (or ended) child process started by <see cref="FiberProcess.Start(string, string[])"/>, with
/// pipes to its stdin, stdout and stderr. Reads, writes and <see cref="WaitForExit"/> block the calling fiber
/// (cancellation points, served by the kernel's poller) or, off a fiber, the calling thread.
/// </summary>
/// <remarks>
/// One reader per output pipe and one writer for stdin at a time. A child that fills a pipe nobody reads
/// stalls (as with any pipe): read both outputs, from two fibers if need be. Disposing the handle closes
/// the pipes and, if the child still runs, kills it (SIGKILL) and reaps it, so no handle leaves a zombie.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class FiberChildProcess : IDisposable
{
    private readonly PolledDescriptor? _pidfd;      // readable once the child has ended; null on kernels without pidfds
    private readonly ChildInputStream _stdin;
    private readonly ChildOutputStream _stdout;
    private readonly ChildOutputStream _stderr;
    private readonly Lock _reapLock = new();        // one waitid or signal at a time, so a reap is never mistaken for "reaped elsewhere"
    private readonly FiberLock _waitLock = new();   // one waiter on the pidfd at a time; the others queue here
    private volatile bool _exited;                  // reaped (by us, or found reaped elsewhere)
    private bool _reapedElsewhere;                  // waitid said ECHILD: somebody else reaped it
    private int _exitCode;                          // valid once _exited
    private int? _exitSignal;                       // the signal that ended it, if one did
    private int _disposed;

    private FiberChildProcess(int pid, string fileName, PolledDescriptor? pidfd, ChildInputStream stdin, ChildOutputStream stdout, ChildOutputStream stderr)
    {
        Id = pid;
        FileName = fileName;
        _pidfd = pidfd;
        _stdin = stdin;
        _stdout = stdout;
        _stderr = stderr;
    }

    /// <summary>The child's process id.</summary>
    public int Id { get; }

    /// <summary>The program as given to <see cref="FiberProcess.Start(string, string[])"/>.</summary>
    public string FileName { get; }

    /// <summary>
    /// The write end of the child's stdin. Writes block while the pipe is full (cancellation points); a
    /// write after the child closed its stdin throws <see cref="IOException"/>. Dispose it (or call
    /// <see cref="CloseStandardInput"/>) to send end of file.
    /// </summary>
    public Stream StandardInput => _stdin;

    /// <summary>The read end of the child's stdout. Reads block until data or end of file arrives (cancellation points).</summary>
    public Stream StandardOutput => _stdout;

    /// <summary>The read end of the child's stderr. Reads block until data or end of file arrives (cancellation points).</summary>
    public Stream StandardError => _stderr;

    internal ChildOutputStream OutputPipe => _stdout;
    internal ChildOutputStream ErrorPipe => _stderr;

    /// <summary>
    /// Reads one line of the child's stdout (UTF-8, without its line ending); null at end of file. A
    /// cancellation point: if interrupted, nothing received is lost (the partial line is read next time),
    /// and if part of a line had arrived the exception is an <see cref="IOCancelledException"/> /
    /// <see cref="IOTimeoutException"/> giving its length in <c>BytesReceived</c>. Shares its buffer with
    /// <see cref="StandardOutput"/>, so the two can be mixed.
    /// </summary>
    /// <returns>The line, or null once the child closed its stdout and every line was read.</returns>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting.</exception>
    /// <exception cref="ObjectDisposedException">The handle was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another fiber or thread is reading stdout now.</exception>
    public string? ReadLine() => _stdout.ReadLine();

    /// <summary>Reads one line of the child's stderr (see <see cref="ReadLine"/>).</summary>
    /// <returns>The line, or null at end of file.</returns>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting.</exception>
    /// <exception cref="ObjectDisposedException">The handle was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another fiber or thread is reading stderr now.</exception>
    public string? ReadErrorLine() => _stderr.ReadLine();

    /// <summary>Writes <paramref name="line"/> and a <c>\n</c> to the child's stdin, as UTF-8. A cancellation point while the pipe is full.</summary>
    /// <param name="line">The text to send.</param>
    /// <exception cref="ArgumentNullException"><paramref name="line"/> is null.</exception>
    /// <exception cref="IOException">The child no longer reads its stdin.</exception>
    /// <exception cref="ObjectDisposedException">Stdin was closed.</exception>
    public void WriteLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        _stdin.Write(Encoding.UTF8.GetBytes(line + "\n"));
    }

    /// <summary>Closes the child's stdin, so it reads end of file. Idempotent.</summary>
    public void CloseStandardInput() => _stdin.Dispose();

    /// <summary>True once the child has ended (it is then reaped). Never blocks.</summary>
    public bool HasExited => _exited || TryReap();

    /// <summary>The exit status (0 to 255), or 128 plus the signal number if a signal ended the child.</summary>
    /// <exception cref="InvalidOperationException">The child has not ended yet, or was reaped by someone else.</exception>
    public int ExitCode
    {
        get
        {
            if (!HasExited)
                throw new InvalidOperationException($"{this} has not exited yet; call WaitForExit first.");
            ThrowIfReapedElsewhere();
            return _exitCode;
        }
    }

    /// <summary>The signal number that ended the child, or null if it exited (or has not ended yet).</summary>
    public int? ExitSignal => HasExited ? _exitSignal : null;

    /// <summary>
    /// Waits until the child ends and returns its <see cref="ExitCode"/>; at once if it has ended. A
    /// cancellation point: a cancellation or timeout pending on entry or arriving while waiting kills the
    /// child (SIGKILL) and reaps it before the exception leaves; one deferred by
    /// <see cref="Fiber.DisableCancellation"/> waits as needed; one arriving after the child was reaped is
    /// delivered at the next blocking operation. Several fibers and threads may wait at once.
    /// </summary>
    /// <returns>The exit code (128 plus the signal number if a signal ended the child).</returns>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled; the child was killed and reaped.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired; the child was killed and reaped.</exception>
    /// <exception cref="InvalidOperationException">Somebody else reaped the child (SIGCHLD ignored, a <c>waitpid(-1)</c> elsewhere).</exception>
    public int WaitForExit()
    {
        try
        {
            return WaitForExitCore();
        }
        catch (OperationCanceledException) when (Fiber.IsOnFiber)
        {
            KillAndReap();
            throw;
        }
    }

    /// <summary>
    /// Sends SIGKILL to the child unless it has ended. Idempotent, never blocks; the child is reaped by the
    /// next <see cref="WaitForExit"/>, <see cref="HasExited"/> or <see cref="Dispose"/>. Signals go through the
    /// pidfd, so they can never reach another process that recycled the pid.
    /// </summary>
    public void Kill() => SendSignal(Posix.SIGKILL);

    /// <summary>Sends SIGTERM to the child unless it has ended (it may catch it and clean up). Never blocks.</summary>
    public void Terminate() => SendSignal(Posix.SIGTERM);

    /// <summary>
    /// Closes the pipes and, if the child is still running, kills it and reaps it (briefly blocking the
    /// fiber, uninterruptibly). Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stdin.Dispose();
        _stdout.Dispose();
        _stderr.Dispose();
        KillAndReap();
        _pidfd?.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"FiberChildProcess({Describe()}, {(!_exited ? "running" : _reapedElsewhere ? "reaped elsewhere" : $"exited {_exitCode}")})";

    internal string Describe() => $"'{FileName}' pid {Id}";

    // ---- Starting ----------------------------------------------------------------------------------

    /// <summary>Starts the child with three pipes; arguments are already checked.</summary>
    internal static FiberChildProcess Spawn(string fileName, string[] args)
    {
        var owned = new List<IDisposable>();
        try
        {
            (FileDescriptorHandle inRead, FileDescriptorHandle inWrite) = Pipe(owned);
            (FileDescriptorHandle outRead, FileDescriptorHandle outWrite) = Pipe(owned);
            (FileDescriptorHandle errRead, FileDescriptorHandle errWrite) = Pipe(owned);
            foreach (FileDescriptorHandle parentEnd in new[] { inWrite, outRead, errRead })
                if (parentEnd.SetNonBlocking() is int e and < 0)
                    PosixError.Throw(-e, "fcntl(O_NONBLOCK)");

            int error = PosixSpawn.Spawn(fileName, [fileName, .. args], Environ(), inRead, outWrite, errWrite, out int pid);
            // The child has its copies now; ours of its ends must go, or the outputs never reach end of file.
            inRead.Dispose();
            outWrite.Dispose();
            errWrite.Dispose();
            if (error != 0)
                throw new Win32Exception(error, $"Could not start '{fileName}': {Marshal.GetPInvokeErrorMessage(error)}.");

            PolledDescriptor? pidfd = null;
            int opened = FileDescriptorHandle.OpenPid(pid, out FileDescriptorHandle? pidHandle);
            if (opened == 0)
                pidfd = new PolledDescriptor(pidHandle!);
            else if (opened != -PosixErrno.ENOSYS)
                Debug.Fail($"pidfd_open of our own unreaped child failed: errno {-opened}");   // then poll for exit
            string name = $"'{fileName}' (pid {pid})";
            return new FiberChildProcess(pid, fileName, pidfd,
                new ChildInputStream(inWrite, "stdin of " + name),
                new ChildOutputStream(outRead, "stdout of " + name),
                new ChildOutputStream(errRead, "stderr of " + name));
        }
        catch
        {
            foreach (IDisposable d in owned)
                d.Dispose();
            throw;
        }
    }

    private static (FileDescriptorHandle Read, FileDescriptorHandle Write) Pipe(List<IDisposable> owned)
    {
        int error = FileDescriptorHandle.CreatePipe(out FileDescriptorHandle? read, out FileDescriptorHandle? write);
        if (error < 0)
            PosixError.Throw(-error, "pipe2");
        owned.Add(read!);
        owned.Add(write!);
        return (read!, write!);
    }

    private static string[] Environ()
    {
        var list = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
            list.Add($"{e.Key}={e.Value}");
        return [.. list];
    }

    // ---- Exit and reaping ----------------------------------------------------------------------------

    /// <summary>Waits for the end without killing on interruption (Run and KillAndReap decide what to do).</summary>
    internal int WaitForExitCore()
    {
        if (!HasExited)
        {
            using (_waitLock.Acquire())
            {
                while (!HasExited)
                {
                    if (_pidfd is not null)
                        _pidfd.WaitReady(PollEvents.Readable, "WaitForExit", this);
                    else
                        Fiber.Sleep(TimeSpan.FromMilliseconds(10));   // no pidfd (Linux before 5.3): poll for the end
                }
            }
        }
        ThrowIfReapedElsewhere();
        return _exitCode;
    }

    /// <summary>
    /// SIGKILL, then reap, uninterruptibly (a cancellation arriving meanwhile is delivered at the next
    /// blocking operation). On a fiber it blocks the fiber only, until the kernel has ended the child.
    /// </summary>
    internal void KillAndReap()
    {
        IDisposable? deferral = Fiber.IsOnFiber ? Fiber.DisableCancellation() : null;
        try
        {
            if (HasExited)
                return;
            Kill();
            WaitForExitCore();
        }
        catch (InvalidOperationException) when (_reapedElsewhere)
        {
            // Gone either way; cleanup does not report who reaped it.
        }
        finally
        {
            deferral?.Dispose();
        }
    }

    private void SendSignal(int signal)
    {
        lock (_reapLock)   // so the pid cannot be reaped (and recycled) between the check and the signal
        {
            if (_exited)
                return;
            int result = _pidfd is not null
                ? PosixSpawn.SendSignal(_pidfd.Handle, signal)
                : PosixSpawn.SendSignal(Id, signal);
            if (result < 0 && result != -PosixErrno.ESRCH)   // ESRCH: ended, not yet reaped
                PosixError.Throw(-result, $"Signalling {Describe()}");
        }
    }

    /// <summary>Reaps the child if it has ended; true once it has. Never blocks.</summary>
    private bool TryReap()
    {
        lock (_reapLock)
        {
            if (_exited)
                return true;
            int result = PosixSpawn.TryReap(_pidfd?.Handle, Id, out int code, out int status);
            if (result == 0)
                return false;
            if (result == -PosixErrno.ECHILD)
                _reapedElsewhere = true;
            else if (result < 0)
                PosixError.Throw(-result, $"Reaping {Describe()}");
            else if (code == Posix.CLD_EXITED)
                _exitCode = status;
            else
            {
                _exitSignal = status;
                _exitCode = 128 + status;
            }
            _exited = true;
            return true;
        }
    }

    private void ThrowIfReapedElsewhere()
    {
        if (_reapedElsewhere)
            throw new InvalidOperationException(
                $"{Describe()} was reaped by someone else, so its exit status is lost. Thredo reaps the children it starts; " +
                "something in this process waits for any child (waitpid(-1)) or set SIGCHLD to SIG_IGN.");
    }
}

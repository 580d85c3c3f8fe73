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
    private readonly FiberStream _stdin;             // over the write end of the child's stdin pipe
    private readonly FiberStream _stdout;            // over the read end of its stdout pipe
    private readonly FiberStream _stderr;            // over the read end of its stderr pipe
    private readonly Lock _reapLock = new();        // one waitid or signal at a time, so a reap is never mistaken for "reaped elsewhere"
    private readonly FiberLock _waitLock = new();   // one waiter on the pidfd at a time; the others queue here
    private volatile bool _exited;                  // reaped (by us, or found reaped elsewhere)
    private bool _reapedElsewhere;                  // waitid said ECHILD: somebody else reaped it
    private int _exitCode;                          // valid once _exited
    private int? _exitSignal;                       // the signal that ended it, if one did
    private int _disposed;

    private FiberChildProcess(int pid, string fileName, PolledDescriptor? pidfd, FiberStream stdin, FiberStream stdout, FiberStream stderr)
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
    /// The write end of the child's stdin, as a write-only <see cref="FiberStream"/>. Writes block while the
    /// pipe is full (cancellation points; an interrupted write reports <c>BytesSent</c>); a write after the
    /// child closed its stdin throws <see cref="IOException"/>. Dispose it (or call
    /// <see cref="CloseStandardInput"/>) to send end of file.
    /// </summary>
    public FiberStream StandardInput => _stdin;

    /// <summary>
    /// The read end of the child's stdout, as a read-only <see cref="FiberStream"/>. Reads block until data
    /// or end of file arrives (cancellation points); <see cref="FiberStream.ReadLine"/> keeps a partial line
    /// buffered when interrupted.
    /// </summary>
    public FiberStream StandardOutput => _stdout;

    /// <summary>The read end of the child's stderr, as a read-only <see cref="FiberStream"/> (see <see cref="StandardOutput"/>).</summary>
    public FiberStream StandardError => _stderr;

    /// <summary>
    /// Reads one line of the child's stdout: <see cref="FiberStream.ReadLine"/> on <see cref="StandardOutput"/>
    /// (UTF-8, without its line ending; null at end of file). A cancellation point: if interrupted, nothing
    /// received is lost (the partial line stays buffered and is read next time), and the exception is an
    /// <see cref="IOCancelledException"/> / <see cref="IOTimeoutException"/> giving its length in
    /// <c>BytesReceived</c>.
    /// </summary>
    /// <returns>The line, or null once the child closed its stdout and every line was read.</returns>
    /// <exception cref="IOCancelledException">The calling fiber was cancelled before or while waiting; the partial line stays buffered.</exception>
    /// <exception cref="IOTimeoutException">A timeout scope of the calling fiber expired before or while waiting; the partial line stays buffered.</exception>
    /// <exception cref="IOException">Reading the pipe failed, or a line is longer than <see cref="FiberStream.MaxLineLength"/> bytes.</exception>
    /// <exception cref="ObjectDisposedException">The handle was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another fiber or thread is reading stdout now.</exception>
    public string? ReadLine() => _stdout.ReadLine();

    /// <summary>Reads one line of the child's stderr: <see cref="FiberStream.ReadLine"/> on <see cref="StandardError"/> (see <see cref="ReadLine"/>).</summary>
    /// <returns>The line, or null at end of file.</returns>
    /// <exception cref="IOCancelledException">The calling fiber was cancelled before or while waiting; the partial line stays buffered.</exception>
    /// <exception cref="IOTimeoutException">A timeout scope of the calling fiber expired before or while waiting; the partial line stays buffered.</exception>
    /// <exception cref="IOException">Reading the pipe failed, or a line is too long.</exception>
    /// <exception cref="ObjectDisposedException">The handle was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another fiber or thread is reading stderr now.</exception>
    public string? ReadErrorLine() => _stderr.ReadLine();

    /// <summary>
    /// Writes <paramref name="line"/> and a <c>\n</c> to the child's stdin, as UTF-8 (<see cref="FiberStream.Write(ReadOnlySpan{byte})"/>
    /// on <see cref="StandardInput"/>). A cancellation point; if interrupted part-way the exception's <c>BytesSent</c> says how much went out.
    /// </summary>
    /// <param name="line">The text to send.</param>
    /// <exception cref="ArgumentNullException"><paramref name="line"/> is null.</exception>
    /// <exception cref="IOException">The child no longer reads its stdin.</exception>
    /// <exception cref="ObjectDisposedException">Stdin was closed.</exception>
    /// <exception cref="InvalidOperationException">Another fiber or thread is writing stdin now.</exception>
    /// <exception cref="IOCancelledException">The calling fiber was cancelled; <see cref="IOCancelledException.BytesSent"/> bytes went out.</exception>
    /// <exception cref="IOTimeoutException">A timeout expired; <see cref="IOTimeoutException.BytesSent"/> bytes went out.</exception>
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
                    ThrowHelper.ThrowIO(-e, "fcntl(O_NONBLOCK)");

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
            else if (opened != -Errno.ENOSYS)
                Debug.Fail($"pidfd_open of our own unreaped child failed: errno {-opened}");   // then poll for exit
            string name = $"'{fileName}' (pid {pid})";
            return new FiberChildProcess(pid, fileName, pidfd,
                new FiberStream(new DescriptorChannel(inWrite, forWriting: true, "stdin of " + name)),
                new FiberStream(new DescriptorChannel(outRead, forWriting: false, "stdout of " + name)),
                new FiberStream(new DescriptorChannel(errRead, forWriting: false, "stderr of " + name)));
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
            ThrowHelper.ThrowIO(-error, "pipe2");
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
                    {
                        try
                        {
                            _pidfd.WaitReady(PollEvents.Readable, "WaitForExit", this);
                        }
                        catch (ObjectDisposedException) when (_exited)
                        {
                            // Dispose reaped the child, then closed the pidfd under this wait: the
                            // outcome is the exit status, the same for every waiter.
                        }
                    }
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
            if (result < 0 && result != -Errno.ESRCH)   // ESRCH: ended, not yet reaped
                ThrowHelper.ThrowIO(-result, $"Signalling {Describe()}");
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
            if (result == -Errno.ECHILD)
                _reapedElsewhere = true;
            else if (result < 0)
                ThrowHelper.ThrowIO(-result, $"Reaping {Describe()}");
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

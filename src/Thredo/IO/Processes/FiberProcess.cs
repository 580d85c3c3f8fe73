using System.Runtime.ExceptionServices;
using System.Text;
using Thredo.Kernel;

namespace Thredo.IO;

/// <summary>
/// Child processes for fibers. Their pipes and their exit are waited on through the kernel's poller
/// (non-blocking pipes, a pidfd), never by a thread per child or per pipe, so a fiber waiting for a child is
/// cancelled or timed out like any other blocking operation.
/// </summary>
/// <remarks>
/// Children are started with posix_spawn (PATH lookup, the current environment and working directory, an
/// empty signal mask and every signal at its default action) and reaped by Thredo itself, with waitid on
/// their pidfd. Don't reap them elsewhere (a <c>waitpid(-1)</c> loop, or SIGCHLD set to SIG_IGN).
/// </remarks>
public static class FiberProcess
{
    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="args"/> to its end and returns its exit code and
    /// everything it wrote to stdout and stderr (read concurrently, so a child filling both pipes never
    /// deadlocks). Its stdin is at end of file from the start. A cancellation point: a cancellation or
    /// timeout pending on entry is thrown before the child is started; one arriving while the child runs
    /// kills it (SIGKILL) and reaps it before the exception leaves (so no zombie is left behind); one deferred
    /// by <see cref="Fiber.DisableCancellation"/> lets the child run to its end; one arriving after the child
    /// was reaped is delivered at the next blocking operation. Off a fiber it blocks the thread (it runs
    /// itself in a <see cref="Fiber.Run(Action, FiberOptions?)"/> of its own).
    /// </summary>
    /// <param name="fileName">The program: a path, or a name looked up in PATH.</param>
    /// <param name="args">Its arguments (not including the program name); none may be null.</param>
    /// <returns>The exit code (128 plus the signal number if a signal ended it) and the output, decoded as UTF-8.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fileName"/> or <paramref name="args"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="fileName"/> is empty, or an argument is null.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">The program could not be started (not found, not executable).</exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled (the child, if started, was killed and reaped).</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired (the child, if started, was killed and reaped).</exception>
    /// <exception cref="IOException">Reading a pipe failed.</exception>
    public static ProcessResult Run(string fileName, params string[] args)
    {
        ValidateStart(fileName, args);
        if (!Fiber.IsOnFiber)
            return RunOffFiber(fileName, args);
        Blocking.Checkpoint();   // a cancellation pending on entry: thrown before anything starts
        using FiberChildProcess child = FiberChildProcess.Spawn(fileName, args);
        child.CloseStandardInput();

        // Discussion: stderr is drained by a second fiber while this one drains stdout. Both wait on the
        // poller, so a child that blocks writing one pipe while we wait on the other cannot happen. If this
        // fiber is interrupted, the child is killed first; the helper is then cancelled rather than left to
        // see end of file, because a grandchild (a shell's 'sleep') may keep the pipe open long after.
        Fiber<byte[]> errors = Fiber.Spawn(() => ReadToEnd(child.StandardError), $"stderr of {child.Describe()}");
        bool finished = false;
        try
        {
            byte[] output = ReadToEnd(child.StandardOutput);
            byte[] error = JoinUnwrapped(errors);
            int exitCode = child.WaitForExitCore();
            finished = true;
            return new ProcessResult(exitCode, Encoding.UTF8.GetString(output), Encoding.UTF8.GetString(error));
        }
        finally
        {
            if (!finished)
            {
                using (Fiber.DisableCancellation())
                {
                    child.KillAndReap();
                    errors.Cancel();
                }
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="args"/> and returns at once with a handle whose
    /// <see cref="FiberChildProcess.StandardInput"/>, <see cref="FiberChildProcess.StandardOutput"/> and
    /// <see cref="FiberChildProcess.StandardError"/> are pipes to the child (read or write them, or a full
    /// pipe stalls the child). Dispose the handle: a child still running then is killed and reaped. Not a
    /// blocking operation (spawning does not wait for the child), so not a cancellation point.
    /// </summary>
    /// <param name="fileName">The program: a path, or a name looked up in PATH.</param>
    /// <param name="args">Its arguments (not including the program name); none may be null.</param>
    /// <returns>The running child.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fileName"/> or <paramref name="args"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="fileName"/> is empty, or an argument is null.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">The program could not be started (not found, not executable).</exception>
    /// <exception cref="IOException">Creating the pipes failed (out of descriptors).</exception>
    public static FiberChildProcess Start(string fileName, params string[] args)
    {
        ValidateStart(fileName, args);
        return FiberChildProcess.Spawn(fileName, args);
    }

    private static void ValidateStart(string fileName, string[] args)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(args);
        if (Array.IndexOf(args, null) >= 0)
            throw new ArgumentException("No argument may be null.", nameof(args));
    }

    private static ProcessResult RunOffFiber(string fileName, string[] args)
    {
        try
        {
            return Fiber.Run(() => Run(fileName, args));
        }
        catch (FiberFailedException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    /// <summary>Reads <paramref name="pipe"/> to its end of file.</summary>
    private static byte[] ReadToEnd(FiberStream pipe)
    {
        var all = new MemoryStream();
        pipe.CopyTo(all);
        return all.ToArray();
    }

    private static byte[] JoinUnwrapped(Fiber<byte[]> reader)
    {
        try
        {
            return reader.Join();
        }
        catch (FiberFailedException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}

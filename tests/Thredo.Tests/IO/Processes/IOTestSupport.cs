using Thredo.Fibers;

namespace Thredo.Tests.IO;

/// <summary>Helpers shared by the file, process and signal tests.</summary>
internal static unsafe class IOTestSupport
{
    /// <summary>
    /// Runs <paramref name="main"/> under <see cref="K.Run(Action)"/> on a thread of its own and fails the test
    /// if it has not ended within <paramref name="seconds"/> (a hang is reported, not waited out forever).
    /// </summary>
    public static void Bounded(Action main, int seconds = 60) => BoundedThread(() => K.Run(main), seconds);

    /// <summary><see cref="Bounded"/> for a test that asserts a single-kernel interleaving (see <see cref="K.RunOneKernel"/>).</summary>
    public static void BoundedOneKernel(Action main, int seconds = 60) => BoundedThread(() => K.RunOneKernel(main), seconds);

    /// <summary>Runs <paramref name="body"/> on a thread and fails if it has not ended within <paramref name="seconds"/>.</summary>
    public static void BoundedThread(Action body, int seconds = 60)
    {
        Task task = Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(task.Wait(TimeSpan.FromSeconds(seconds)), $"did not finish within {seconds}s (hang)");
        task.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Asserts that <paramref name="pid"/> is no child of ours waiting to be reaped: waitid says ECHILD, and
    /// if a process with that id exists at all (a recycled id), it is not a zombie.
    /// </summary>
    public static void AssertReaped(int pid)
    {
        Posix.SigInfo info = default;
        int result = Posix.waitid(Posix.P_PID, (uint)pid, &info, Posix.WEXITED | Posix.WNOHANG);
        int errno = Posix.LastErrno;
        Assert.True(result == -1 && errno == Errno.ECHILD,
            $"waitid({pid}) = {result}, errno {errno}, si_pid {info.Pid}: the child was not reaped (expected ECHILD)");
        string stat = $"/proc/{pid}/stat";
        if (File.Exists(stat))
        {
            string text;
            try { text = File.ReadAllText(stat); }
            catch (IOException) { return; }   // vanished meanwhile
            char state = text[(text.LastIndexOf(')') + 2)..][0];
            Assert.True(state != 'Z', $"{stat} says state {state}: a zombie");
        }
    }

    /// <summary>A fresh path in a temporary directory (the directory is left for the OS to clean).</summary>
    public static string TempPath(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "thredo-io-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }

    /// <summary>Waits (as a fiber, sleeping) until <paramref name="path"/> holds a whole line, and returns it.</summary>
    public static string WaitForLineInFile(string path)
    {
        for (int i = 0; i < 20_000; i++)
        {
            if (File.Exists(path))
            {
                string text = Thredo.IO.FiberFile.ReadAllText(path);
                if (text.EndsWith('\n'))
                    return text.TrimEnd('\n');
            }
            Fiber.Sleep(TimeSpan.FromMilliseconds(1));
        }
        throw new TimeoutException($"{path} never got a line");
    }
}

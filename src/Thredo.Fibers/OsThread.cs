using System.Globalization;

namespace Thredo.Fibers;

/// <summary>
/// What the operating system says about one thread of this process: its id, and whether it is
/// asleep in the kernel (waiting on a lock, a sleep, a read) rather than running or runnable.
/// </summary>
internal static class OsThread
{
    /// <summary>The calling thread's OS id (Linux <c>gettid</c>); 0 where that is not known.</summary>
    internal static int CurrentId() => OperatingSystem.IsLinux() ? Posix.gettid() : 0;

    /// <summary>
    /// True if thread <paramref name="tid"/> is asleep in the OS: state S (interruptible) or D
    /// (uninterruptible) in <c>/proc/self/task/&lt;tid&gt;/stat</c>. False if it runs, is runnable, has
    /// exited, or the state cannot be read (off Linux).
    /// </summary>
    internal static bool IsAsleep(int tid)
    {
        if (ReadTaskFile(tid, "stat") is not string stat)
            return false;
        // "tid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ')'.
        int close = stat.LastIndexOf(')');
        return close >= 0 && close + 2 < stat.Length && stat[close + 2] is 'S' or 'D';
    }

    /// <summary>
    /// Nanoseconds thread <paramref name="tid"/> has spent on a CPU or queued for one
    /// (<c>/proc/self/task/&lt;tid&gt;/schedstat</c>): unchanged between two reads means it slept all the
    /// time between them. -1 where unknown.
    /// </summary>
    internal static long ScheduledNanoseconds(int tid)
    {
        if (ReadTaskFile(tid, "schedstat") is not string text)
            return -1;
        string[] fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2
            && long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long onCpu)
            && long.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long queued)
            ? onCpu + queued : -1;
    }

    /// <summary>A file of /proc/self/task/&lt;tid&gt;/, or null off Linux, for tid 0, or once the thread has exited.</summary>
    private static string? ReadTaskFile(int tid, string name)
    {
        if (tid == 0 || !OperatingSystem.IsLinux())
            return null;
        try
        {
            return File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/self/task/{tid}/{name}"));
        }
        catch (IOException)
        {
            return null;
        }
    }
}

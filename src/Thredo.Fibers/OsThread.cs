using System.Globalization;

namespace Thredo.Fibers;

/// <summary>
/// What the operating system says about one thread of this process: its id, and whether it is
/// asleep in the kernel (waiting on a lock, a sleep, a read) rather than running or runnable.
/// Linux answers from /proc/self/task; Windows through thredo_native (thread_state_win32.c).
/// </summary>
internal static unsafe class OsThread
{
    private const int WindowsENOSYS = 40;            // errno.h of msvcrt and the UCRT alike
    private static volatile bool s_noWindowsStates;  // the OS reports no thread states (Wine 8)
    [ThreadStatic] private static Dictionary<int, long>? t_cyclesSeen;  // Windows: tid -> ScheduledTime at this caller's last IsAsleep

    /// <summary>The calling thread's OS id (Linux <c>gettid</c>, Windows <c>GetCurrentThreadId</c>); 0 where that is not known.</summary>
    internal static int CurrentId() =>
        OperatingSystem.IsLinux() ? Posix.gettid() :
        OperatingSystem.IsWindows() ? unchecked((int)ThredoNative.thredo_thread_current_id()) : 0;

    /// <summary>
    /// True if thread <paramref name="tid"/> is asleep in the OS: on Linux state S (interruptible) or D
    /// (uninterruptible) in <c>/proc/self/task/&lt;tid&gt;/stat</c>; on Windows the Waiting state for any
    /// reason but a suspension, asked only if it has not run since this caller's last look (so a thread
    /// that just went to sleep is seen asleep one look later than on Linux). False if it runs, is runnable, has exited, or the state cannot be read
    /// (elsewhere, or where Windows' thread states are not reported, as under Wine).
    /// </summary>
    internal static bool IsAsleep(int tid)
    {
        if (OperatingSystem.IsWindows())
            return IsWaitingOnWindows(tid);
        return ReadTaskFile(tid, "stat") is string stat && State(stat) is 'S' or 'D';
    }

    /// <summary>
    /// A count that moves whenever thread <paramref name="tid"/> runs: on Linux the nanoseconds it has
    /// spent on a CPU or queued for one (<c>/proc/self/task/&lt;tid&gt;/schedstat</c>), on Windows the CPU
    /// cycles it has run (<c>QueryThreadCycleTime</c>). Only equality means anything: unchanged between
    /// two reads means it slept all the time between them. -1 where unknown.
    /// </summary>
    internal static long ScheduledTime(int tid)
    {
        if (OperatingSystem.IsWindows())
        {
            ulong cycles;
            return tid != 0 && ThredoNative.thredo_thread_cycles(unchecked((uint)tid), &cycles) == 0 ? unchecked((long)cycles) : -1;
        }
        if (ReadTaskFile(tid, "schedstat") is not string text)
            return -1;
        string[] fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2
            && long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long onCpu)
            && long.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long queued)
            ? onCpu + queued : -1;
    }

    /// <summary>
    /// Windows: the state costs a snapshot of every thread on the system, so a thread whose cycle count
    /// moved since this caller last asked about it (it ran meanwhile: computing, or only just asleep) is
    /// answered "not asleep" from one cheap cycle read; a computing fiber would otherwise cost a snapshot
    /// per watchdog tick. Once the OS is seen to report no states (-ENOSYS, Wine), it is not asked again.
    /// </summary>
    private static bool IsWaitingOnWindows(int tid)
    {
        if (tid == 0 || s_noWindowsStates)
            return false;
        Dictionary<int, long> seen = t_cyclesSeen ??= [];
        long cycles = ScheduledTime(tid);
        bool ran = !seen.TryGetValue(tid, out long before) || cycles != before;
        if (seen.Count >= 4096)
            seen.Clear();   // threads come and go; forgetting costs one extra look
        seen[tid] = cycles;
        if (ran)
            return false;
        int r = ThredoNative.thredo_thread_wait_state(unchecked((uint)tid), null, null);
        if (r == -WindowsENOSYS)
            s_noWindowsStates = true;
        return r == 1;
    }

    /// <summary>
    /// True if a thread of this process other than the caller is runnable (state R in
    /// <c>/proc/self/task/*/stat</c>: on a CPU or queued for one). Linux only: false elsewhere.
    /// Costs one read per thread of the process.
    /// </summary>
    internal static bool AnyOtherRunnable()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        int self = CurrentId();
        try
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc/self/task"))
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int tid) && tid != self
                    && ReadTaskFile(tid, "stat") is string stat && State(stat) == 'R')
                    return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // no /proc (a container without it): nothing is known to be runnable
        }
        return false;
    }

    /// <summary>The state letter of a stat line, "tid (comm) S ...": comm may hold spaces and parentheses, so it follows the last ')'.</summary>
    private static char State(string stat)
    {
        int close = stat.LastIndexOf(')');
        return close >= 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
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

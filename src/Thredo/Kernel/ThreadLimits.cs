using System.Globalization;

namespace Thredo.Kernel;

/// <summary>
/// The Linux limits that cap how many fibers can hold threads at once, and the diagnosis of a thread
/// that failed to start: which limit was hit, its value, and how to raise it (docs/scaling.md).
/// </summary>
/// <remarks>
/// Read from /proc at the first <c>Fiber.Run</c> of the process and again when a thread fails to
/// start (they may have been raised meanwhile). Off Linux every value is unknown and the diagnosis
/// names no limit.
/// </remarks>
internal sealed record ThreadLimits(long? ThreadsMax, long? PidMax, long? MaxMapCount, long? MaxProcesses, long? Threads, long? Mappings)
{
    /// <summary>Memory mappings a parked fiber's thread adds (stack, guard, and the runtime's own), measured on Linux x64.</summary>
    internal const int MappingsPerThread = 4;

    private static ThreadLimits? s_atStart;

    /// <summary>The limits as read at the first <c>Fiber.Run</c> of the process.</summary>
    internal static ThreadLimits AtStart => s_atStart ??= Read();

    /// <summary>Reads every limit and this process's usage now.</summary>
    internal static ThreadLimits Read() => new(
        ReadNumber("/proc/sys/kernel/threads-max"),
        ReadNumber("/proc/sys/kernel/pid_max"),
        ReadNumber("/proc/sys/vm/max_map_count"),
        ReadField("/proc/self/limits", "Max processes", 1),
        ReadField("/proc/self/status", "Threads:", 1),
        CountLines("/proc/self/maps"));

    /// <summary>How many more threads (so parked fibers) the tightest limit allows, or null if unknown.</summary>
    internal long? Headroom
    {
        get
        {
            long? best = null;
            foreach (long? room in new[] { ThreadsMax - Threads, PidMax - Threads, MaxProcesses - Threads, (MaxMapCount - Mappings) / MappingsPerThread })
                if (room is long r)
                    best = best is long b ? Math.Min(b, r) : r;
            return best;
        }
    }

    /// <summary>
    /// The exception for a thread that failed to start (or was refused by <see cref="ThreadBudget"/>)
    /// with <paramref name="failure"/>: the limit with the least room left, if that is within the
    /// budget's margin, or a general one if no limit is near.
    /// </summary>
    internal FiberLimitException Diagnose(Exception failure)
    {
        (string Name, long? Value, long? Used, long? Room, string Raise)[] limits =
        [
            ("vm.max_map_count", MaxMapCount, Mappings, (MaxMapCount - Mappings) / MappingsPerThread, "sysctl -w vm.max_map_count=N, or a file in /etc/sysctl.d"),
            ("kernel.threads-max", ThreadsMax, Threads, ThreadsMax - Threads, "sysctl -w kernel.threads-max=N"),
            ("kernel.pid_max", PidMax, Threads, PidMax - Threads, "sysctl -w kernel.pid_max=N (each thread takes a process id)"),
            ("ulimit -u (RLIMIT_NPROC)", MaxProcesses, Threads, MaxProcesses - Threads, "ulimit -u N, or LimitNPROC= / TasksMax= in a systemd unit"),
        ];
        var tightest = limits.Where(l => l.Room is not null).OrderBy(l => l.Room).FirstOrDefault();
        if (tightest.Room is long room && room <= ThreadBudget.Margin + 64)
            return new FiberLimitException(tightest.Name, tightest.Value, tightest.Used, tightest.Raise, failure);
        return new FiberLimitException(
            $"No OS thread could be started for a fiber ({failure.Message}). None of the Linux thread limits is exhausted " +
            $"(threads {Threads?.ToString(CultureInfo.InvariantCulture) ?? "?"} of kernel.threads-max {ThreadsMax?.ToString(CultureInfo.InvariantCulture) ?? "?"}, " +
            $"mappings {Mappings?.ToString(CultureInfo.InvariantCulture) ?? "?"} of vm.max_map_count {MaxMapCount?.ToString(CultureInfo.InvariantCulture) ?? "?"}), " +
            "so memory is the likely cause: lower FiberOptions.StackSizeBytes or run fewer fibers at once; see docs/scaling.md.", failure);
    }

    private static long? ReadNumber(string path) =>
        TryRead(path) is string text && long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) ? n : null;

    // A line starting with `label`; the number is the `index`-th whitespace-separated word after the label.
    private static long? ReadField(string path, string label, int index)
    {
        if (TryRead(path) is not string text)
            return null;
        foreach (string line in text.Split('\n'))
        {
            if (!line.StartsWith(label, StringComparison.Ordinal))
                continue;
            string[] words = line[label.Length..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return words.Length >= index && long.TryParse(words[index - 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) ? n
                 : words.Length >= index && words[index - 1] == "unlimited" ? long.MaxValue : null;
        }
        return null;
    }

    private static long? CountLines(string path) => TryRead(path) is string text ? text.Count(c => c == '\n') : null;

    private static string? TryRead(string path)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

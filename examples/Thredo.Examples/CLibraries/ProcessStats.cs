using System.Globalization;

namespace Thredo.Examples.CLibraries;

/// <summary>What the native-fiber examples and benchmarks report about the process (Linux: /proc/self/status).</summary>
internal static class ProcessStats
{
    /// <summary>OS threads in the process right now.</summary>
    public static int Threads => (int)StatusValue("Threads:");

    /// <summary>Peak resident set size so far, in bytes (VmHWM).</summary>
    public static long PeakRssBytes => StatusValue("VmHWM:") * 1024;

    /// <summary>User plus system CPU time the process has used.</summary>
    public static TimeSpan CpuTime => System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;

    private static long StatusValue(string key)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line.AsSpan(key.Length).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
        return -1;
    }
}

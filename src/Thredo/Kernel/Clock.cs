using System.Diagnostics;

namespace Thredo.Kernel;

/// <summary>The kernel's monotonic clock.</summary>
internal static class Clock
{
    /// <summary>Now, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    internal static long Now => Stopwatch.GetTimestamp();

    /// <summary>The tick at which <paramref name="delay"/> from now has passed (saturating).</summary>
    internal static long After(TimeSpan delay)
    {
        double ticks = delay.TotalSeconds * Stopwatch.Frequency;
        long now = Now;
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)Math.Ceiling(ticks);
    }

    /// <summary>Nanoseconds from now until <paramref name="deadline"/>, at least 0.</summary>
    internal static long NanosecondsUntil(long deadline)
    {
        long ticks = deadline - Now;
        return ticks <= 0 ? 0 : (long)(ticks * (1e9 / Stopwatch.Frequency));
    }

    /// <summary>Time passed since <paramref name="since"/> (a <see cref="Now"/> reading), at least zero.</summary>
    internal static TimeSpan Since(long since) => TimeSpan.FromSeconds(Math.Max(0, Now - since) / (double)Stopwatch.Frequency);
}

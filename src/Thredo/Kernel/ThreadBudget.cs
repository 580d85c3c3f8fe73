using Thredo.Fibers;

namespace Thredo.Kernel;

/// <summary>
/// How many fiber threads the process may still start: the tightest Linux limit
/// (<see cref="ThreadLimits.Headroom"/>) less a margin kept for the .NET runtime itself.
/// </summary>
/// <remarks>
/// Discussion: at the real limit the runtime, not Thredo, is the one refused: a GC heap mapping or a
/// thread-pool thread fails and the process aborts ("Out of memory." at 16,301 fiber threads with
/// vm.max_map_count = 65530). So fiber threads stop <see cref="Margin"/> threads short of it and the
/// fiber that would have crossed it fails with <see cref="FiberLimitException"/> instead. The limits
/// are read again only when the budget runs out, since reading /proc/self/maps costs milliseconds
/// at 100k threads; a limit raised meanwhile is picked up there. The same count sizes the futex
/// hash the parked threads sleep in (<see cref="ParkerHandle.ReserveWaiters"/>).
/// </remarks>
internal static class ThreadBudget
{
    /// <summary>Threads' worth of every limit left to the runtime (for mappings, four times as many).</summary>
    internal const int Margin = 256;

    private static readonly Lock Gate = new();
    private static long s_started;          // fiber threads alive in the process
    private static long s_allowed = -1;     // s_started may grow to this before the limits are read again
    private static long s_waiterSlots = -1; // s_started may grow to this before the futex hash is grown
    private static ThreadLimits? s_refused; // the limits behind the last refusal, reused for a while
    private static long s_refusedAt;        // when, in Environment.TickCount64 ms

    /// <summary>Counts one more fiber thread.</summary>
    /// <exception cref="FiberLimitException">It would leave less than <see cref="Margin"/> of some limit.</exception>
    internal static void Take()
    {
        long n = Interlocked.Increment(ref s_started);
        if (n <= Volatile.Read(ref s_allowed) && n <= Volatile.Read(ref s_waiterSlots))
            return;
        ThreadLimits limits;
        lock (Gate)
        {
            if (n > s_waiterSlots)
            {
                // Every fiber thread parks on a futex; a wake scans its hash bucket (docs/scaling.md).
                int slots = ParkerHandle.ReserveWaiters(2 * n);
                s_waiterSlots = slots >= 2 * n ? slots : long.MaxValue;   // at the cap, or nothing to size
            }
            if (n <= s_allowed)
                return;
            // At a limit, thousands of fibers can fail in a row: read /proc at most every 100 ms.
            if (s_refused is not null && Environment.TickCount64 - s_refusedAt < 100)
            {
                limits = s_refused;
            }
            else
            {
                limits = ThreadLimits.Read();
                // The n - 1 threads already started are in the usage just read.
                s_allowed = limits.Headroom is long room ? n - 1 + room - Margin : long.MaxValue;
                if (n <= s_allowed)
                {
                    s_refused = null;
                    return;
                }
                (s_refused, s_refusedAt) = (limits, Environment.TickCount64);
            }
        }
        Interlocked.Decrement(ref s_started);
        throw limits.Diagnose(new InvalidOperationException(
            $"Thredo stops {Margin} threads short of the limit so that the .NET runtime itself can still start threads and map memory."));
    }

    /// <summary>Counts a fiber thread that has exited (or never started).</summary>
    internal static void Give() => Interlocked.Decrement(ref s_started);

    /// <summary>Fiber threads alive in the process (running a fiber or pooled).</summary>
    internal static long Started => Interlocked.Read(ref s_started);
}

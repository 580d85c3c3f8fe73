using System.Diagnostics;
using System.Diagnostics.Metrics;
using Thredo.Kernel;

namespace Thredo.Diagnostics;

/// <summary>
/// The <c>Thredo</c> meter: every runtime's counts (each <c>Fiber.Run</c> and <c>FiberHost</c> of the
/// process, summed), read by <c>dotnet-counters monitor --counters Thredo</c>, OpenTelemetry or a
/// <see cref="MeterListener"/>. Instruments are observable: they cost nothing until a listener reads
/// them, and a read walks the live fibers under each kernel's lock once.
/// </summary>
/// <remarks>Names and units follow the OpenTelemetry conventions (dotted lower case, UCUM units, <c>{fiber}</c> annotations).</remarks>
internal static class RuntimeMetrics
{
    /// <summary>The meter's name, as listeners select it.</summary>
    internal const string MeterName = "Thredo";

    private static readonly Lock Gate = new();
    private static readonly List<FiberRuntime> Runtimes = [];
    private static readonly Meter Meter = new(MeterName, typeof(RuntimeMetrics).Assembly.GetName().Version?.ToString());

    // The monotonic counters, each a reading of one runtime. An ended runtime's last readings are
    // kept in Retired, so a counter never goes down when a Fiber.Run returns.
    private static readonly Func<FiberRuntime, double>[] Counters =
    [
        static r => r.SpawnedCount,
        static r => r.Kernels.Sum(static k => Volatile.Read(ref k.Switches)),
        static r => r.ForeignWatch?.HandOffs ?? 0,
        static r => r.Watch?.Reports ?? 0,
        static r => r.DeadlockCount,
        static r => BusyTicks(r) / (double)Stopwatch.Frequency,
    ];
    private static readonly double[] Retired = new double[Counters.Length];
    private const int Spawned = 0, HandOffs = 1, ForeignHandOffs = 2, LongBlocks = 3, Deadlocks = 4, BusySeconds = 5;

    static RuntimeMetrics()
    {
        Meter.CreateObservableUpDownCounter("thredo.fiber.live", () => Snapshot().Sum(static r => (long)r.LiveCount), "{fiber}",
            "Fibers spawned and not yet ended.");
        Meter.CreateObservableUpDownCounter("thredo.fiber.runnable", () => Count().Runnable, "{fiber}",
            "Fibers queued to run, waiting for their kernel's baton.");
        Meter.CreateObservableUpDownCounter("thredo.fiber.blocked", BlockedByKind, "{fiber}",
            "Blocked fibers, by what they wait for (thredo.wait.kind: io, timer, primitive, foreign).");
        Meter.CreateObservableCounter("thredo.fiber.spawned", () => (long)Total(Spawned), "{fiber}",
            "Fibers spawned so far.");
        Meter.CreateObservableCounter("thredo.kernel.handoffs", () => (long)Total(HandOffs), "{handoff}",
            "Times a kernel's baton went to a fiber.");
        Meter.CreateObservableCounter("thredo.foreign_block.handoffs", () => (long)Total(ForeignHandOffs), "{handoff}",
            "Fibers handed off while asleep in a call Thredo does not serve (FiberOptions.ForeignBlockHandoff).");
        Meter.CreateObservableUpDownCounter("thredo.thread.count", Threads, "{thread}",
            "Fiber threads of the process (thredo.thread.state: held by a fiber, or pooled).");
        Meter.CreateObservableCounter("thredo.kernel.busy_time", () => Total(BusySeconds), "s",
            "Time kernels spent not asleep in their poller, summed over kernels.");
        Meter.CreateObservableCounter("thredo.long_block.count", () => (long)Total(LongBlocks), "{report}",
            "Fibers reported for holding a kernel longer than FiberOptions.LongBlockWarning.");
        Meter.CreateObservableCounter("thredo.deadlock.count", () => (long)Total(Deadlocks), "{deadlock}",
            "Deadlocks declared (every fiber of a Fiber.Run waited on something nothing could satisfy).");
    }

    /// <summary>A runtime has started: its counts join the meter's.</summary>
    internal static void Add(FiberRuntime runtime)
    {
        lock (Gate)
            Runtimes.Add(runtime);
    }

    /// <summary>A runtime has ended: its gauges leave, its counters' last readings stay in the totals.</summary>
    internal static void Remove(FiberRuntime runtime)
    {
        lock (Gate)
        {
            if (!Runtimes.Remove(runtime))
                return;
            for (int i = 0; i < Counters.Length; i++)
                Retired[i] += Counters[i](runtime);
        }
    }

    private static double Total(int counter)
    {
        lock (Gate)
            return Retired[counter] + Runtimes.Sum(Counters[counter]);
    }

    private static FiberRuntime[] Snapshot()
    {
        lock (Gate)
            return [.. Runtimes];
    }

    private static (long Runnable, long[] Blocked) Count()
    {
        long runnable = 0;
        long[] blocked = new long[Enum.GetValues<WaitKind>().Length];
        foreach (FiberRuntime r in Snapshot())
            foreach (Kernel.Kernel k in r.Kernels)
            {
                lock (k.Lock)
                    k.CountLocked(ref runnable, blocked);
            }
        return (runnable, blocked);
    }

    private static readonly string[] KindNames = ["primitive", "io", "timer", "foreign"];

    private static IEnumerable<Measurement<long>> BlockedByKind()
    {
        long[] blocked = Count().Blocked;
        for (int i = 0; i < blocked.Length; i++)
            yield return new Measurement<long>(blocked[i], new KeyValuePair<string, object?>("thredo.wait.kind", KindNames[i]));
    }

    private static IEnumerable<Measurement<long>> Threads()
    {
        long pooled = FiberThreadPool.PooledCount;
        long held = Math.Max(0, ThreadBudget.Started - pooled);
        yield return new Measurement<long>(held, new KeyValuePair<string, object?>("thredo.thread.state", "held"));
        yield return new Measurement<long>(pooled, new KeyValuePair<string, object?>("thredo.thread.state", "pooled"));
    }

    private static long BusyTicks(FiberRuntime r)
    {
        long now = Clock.Now;
        return r.Kernels.Sum(k => Math.Max(0, now - r.StartedAt - k.IdleTicks));
    }
}

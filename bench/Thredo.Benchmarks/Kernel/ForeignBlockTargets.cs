// FiberOptions.ForeignBlockHandoff measured: what the watchdog costs a busy kernel (ping-pong with
// and without it, interleaved run by run), and how long a fiber asleep in a foreign call holds its
// kernel before the next fiber runs.
using System.Diagnostics;
using static System.FormattableString;

namespace Thredo.Benchmarks.Kernel;

/// <summary>The <c>--foreign [--runs N]</c> mode of the benchmark program.</summary>
public static class ForeignBlockTargets
{
    private const int HandOffs = 2 * PingPongBenchmarks.RoundTrips;

    /// <summary>Runs both measurements and prints their tables.</summary>
    /// <param name="args">The program's arguments (<c>--foreign [--runs N]</c>).</param>
    /// <returns>0.</returns>
    public static int Run(string[] args)
    {
        int runs = args.Length > 2 && args[1] == "--runs" ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 7;
        var on = new FiberOptions();
        var off = new FiberOptions { ForeignBlockHandoff = Timeout.InfiniteTimeSpan };
        Console.WriteLine(Invariant($"foreign-block watch: {runs} runs, default ForeignBlockHandoff {on.ForeignBlockHandoff.TotalMilliseconds} ms, {Environment.ProcessorCount} CPU(s)"));

        PingPongNs(on);   // warm-up
        PingPongNs(off);
        var withWatch = new List<double>();
        var without = new List<double>();
        for (int r = 0; r < runs; r++)
        {
            Console.Error.WriteLine(Invariant($"ping-pong: run {r + 1}/{runs}"));
            withWatch.Add(PingPongNs(on));
            without.Add(PingPongNs(off));
        }
        Console.WriteLine();
        Console.WriteLine("ping-pong, ns per hand-off (two FiberQueue<int>, main + 1 fiber)");
        Console.WriteLine("| watch | median | min | max |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        Console.WriteLine(Invariant($"| on (default) | {Median(withWatch):F0} | {withWatch.Min():F0} | {withWatch.Max():F0} |"));
        Console.WriteLine(Invariant($"| off | {Median(without):F0} | {without.Min():F0} | {without.Max():F0} |"));
        Console.WriteLine(Invariant($"ratio on/off of medians: {Median(withWatch) / Median(without):F2}x"));

        var latencies = new List<double>();
        for (int r = 0; r < Math.Max(runs, 10); r++)
            latencies.Add(HandOffLatencyMs(on));
        Console.WriteLine();
        Console.WriteLine("latency from a fiber entering Thread.Sleep(100) to the next fiber running, ms");
        Console.WriteLine(Invariant($"| median | min | max | samples |"));
        Console.WriteLine("| ---: | ---: | ---: | ---: |");
        Console.WriteLine(Invariant($"| {Median(latencies):F2} | {latencies.Min():F2} | {latencies.Max():F2} | {latencies.Count} |"));
        return 0;
    }

    private static double PingPongNs(FiberOptions options)
    {
        var sw = Stopwatch.StartNew();
        Fiber.Run(() => PingPongBenchmarks.FiberPingPong(spin: null), options);
        return sw.Elapsed.TotalNanoseconds / HandOffs;
    }

    /// <summary>Fiber A sleeps in Thread.Sleep with the baton; fiber B, queued behind it, notes when it runs.</summary>
    private static double HandOffLatencyMs(FiberOptions options) => Fiber.Run(() =>
    {
        long blockedAt = 0, nextRan = 0;
        var a = Fiber.Spawn(() => { blockedAt = Stopwatch.GetTimestamp(); Thread.Sleep(100); });
        var b = Fiber.Spawn(() => nextRan = Stopwatch.GetTimestamp());
        a.Join();
        b.Join();
        return (nextRan - blockedAt) * 1000.0 / Stopwatch.Frequency;
    }, options);

    private static double Median(List<double> xs)
    {
        var sorted = xs.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

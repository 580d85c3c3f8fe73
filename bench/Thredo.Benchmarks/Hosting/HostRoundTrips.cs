// FiberHost.RunAsync measured from async code against Task.Run, the call an ASP.NET Core endpoint
// or a worker makes to hand blocking-style work to a fiber.
using System.Diagnostics;
using Thredo.Benchmarks.Kernel;
using static System.FormattableString;

namespace Thredo.Benchmarks.Hosting;

/// <summary>The <c>--host [--runs N]</c> mode of the benchmark program.</summary>
public static class HostRoundTrips
{
    private const int Sequential = 20_000;
    private const int Batch = 1_000, Batches = 20;

    /// <summary>Runs the comparisons, interleaved run by run, and prints their tables.</summary>
    /// <param name="args">The program's arguments (<c>--host [--runs N]</c>).</param>
    /// <returns>0.</returns>
    public static int Run(string[] args)
    {
        int runs = args.Length > 2 && args[1] == "--runs" ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5;
        Console.WriteLine(Invariant($"FiberHost.RunAsync vs Task.Run from async code: {runs} runs, {Environment.ProcessorCount} CPU(s)"));
        using FiberHost host = FiberHost.Start();
        Measure(host, 1);   // warm-up
        var rows = new List<(string Name, double[] Fiber, double[] Task)>
        {
            ("sequential await, ns per call", new double[runs], new double[runs]),
            (Invariant($"{Batch} concurrent, ns per call"), new double[runs], new double[runs]),
        };
        for (int r = 0; r < runs; r++)
        {
            Console.Error.WriteLine(Invariant($"host: run {r + 1}/{runs}"));
            var (fs, ts, fc, tc) = Measure(host, r);
            rows[0].Fiber[r] = fs; rows[0].Task[r] = ts;
            rows[1].Fiber[r] = fc; rows[1].Task[r] = tc;
        }
        Console.WriteLine();
        Console.WriteLine("| round trip | FiberHost.RunAsync (median) | Task.Run (median) | ratio Task.Run / RunAsync |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var (name, fiber, task) in rows)
            Console.WriteLine(Invariant($"| {name} | {KernelTargets.Median(fiber):F0} | {KernelTargets.Median(task):F0} | {KernelTargets.Median(task) / KernelTargets.Median(fiber):F2}x |"));
        Console.WriteLine("(ratio above 1: RunAsync is faster)");
        return 0;
    }

    private static (double FiberSeq, double TaskSeq, double FiberConc, double TaskConc) Measure(FiberHost host, int run) =>
        Task.Run(async () =>
        {
            bool fiberFirst = run % 2 == 0;   // alternate the order: a noisy machine should not favour one side
            double fs = 0, ts = 0, fc = 0, tc = 0;
            for (int side = 0; side < 2; side++)
            {
                if ((side == 0) == fiberFirst)
                {
                    fs = await SequentialNs(i => host.RunAsync(() => i + 1)).ConfigureAwait(false);
                    fc = await ConcurrentNs(i => host.RunAsync(() => i + 1)).ConfigureAwait(false);
                }
                else
                {
                    ts = await SequentialNs(i => Task.Run(() => i + 1)).ConfigureAwait(false);
                    tc = await ConcurrentNs(i => Task.Run(() => i + 1)).ConfigureAwait(false);
                }
            }
            return (fs, ts, fc, tc);
        }).GetAwaiter().GetResult();

    private static async Task<double> SequentialNs(Func<int, Task<int>> call)
    {
        long sum = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < Sequential; i++)
            sum += await call(i).ConfigureAwait(false);
        sw.Stop();
        return sum > 0 ? sw.Elapsed.TotalNanoseconds / Sequential : double.NaN;
    }

    private static async Task<double> ConcurrentNs(Func<int, Task<int>> call)
    {
        var tasks = new Task<int>[Batch];
        var sw = Stopwatch.StartNew();
        for (int b = 0; b < Batches; b++)
        {
            for (int i = 0; i < Batch; i++)
                tasks[i] = call(i);
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        sw.Stop();
        return sw.Elapsed.TotalNanoseconds / (Batch * Batches);
    }
}

// How the cost of parked fibers grows with their number: the parked-fiber measurement of --kernel
// (KernelTargets.RunParkedChild, one fresh child process per count) swept over counts and plotted
// with ScottPlot into docs/scaling.png; the GC settings' effect at one count; and the managed frames
// a parked fiber holds, read with dotnet-stack. Results are written up in docs/scaling.md.
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using ScottPlot;
using static System.FormattableString;
using static Thredo.Benchmarks.Kernel.KernelTargets;

namespace Thredo.Benchmarks.Kernel;

/// <summary>
/// The <c>--scaling</c>, <c>--scaling-gc</c> and <c>--scaling-frames</c> modes of the benchmark program
/// (<c>--scaling-hold N</c> is internal: the child that <c>--scaling-frames</c> inspects).
/// </summary>
public static class ScalingPlot
{
    private static readonly int[] DefaultCounts = [1_000, 3_000, 10_000, 30_000, 100_000];

    /// <summary>Where the x axis has labelled ticks.</summary>
    private static readonly int[] XTickCounts = [1_000, 3_000, 10_000, 30_000, 100_000, 300_000];

    /// <summary>From this count on, <c>--big-runs</c> runs follow the cold one instead of <c>--runs</c>.</summary>
    private const int BigCount = 30_000;

    /// <summary>From this count on, <c>--huge-runs</c> runs follow the cold one.</summary>
    /// <remarks>
    /// 0 by default: measured at 100,000 (2 CPUs, Linux 6.18), the warm run after the cold one had not
    /// finished after 25 minutes, its threads waiting for the GC, while the cold run took about 14.
    /// </remarks>
    private const int HugeCount = 100_000;

    /// <summary>Memory mappings per parked fiber's thread, as measured by <c>--scaling</c> (for the limit check only).</summary>
    private const int MapsPerFiberEstimate = 4;

    /// <summary>The GC environment variables the variants set; every variant clears the others.</summary>
    private static readonly string[] GcVariables =
        ["DOTNET_gcServer", "DOTNET_GCgen0size", "DOTNET_gcConcurrent", "DOTNET_GCDynamicAdaptationMode",
         "COMPlus_gcServer", "COMPlus_GCgen0size", "COMPlus_gcConcurrent", "COMPlus_GCDynamicAdaptationMode"];

    /// <summary>Dispatches the <c>--scaling*</c> modes.</summary>
    /// <returns>0; 1 when a count or variant failed; 2 for a bad option.</returns>
    public static int Run(string[] args) => args[0] switch
    {
        "--scaling" => Sweep(args),
        "--scaling-gc" => GcVariants(args),
        "--scaling-frames" => Frames(args),
        "--scaling-hold" => Hold(KernelTargets.ParseInt(args[1])),
        _ => 2,
    };

    // ---- --scaling: the sweep and the plot ----------------------------------------------------

    /// <summary>One count's results.</summary>
    private sealed record Point(
        int Count, int Runs, double ParkCold, double ParkWarm, double RssCold, double GcMs, double GcMin,
        double MapsCold, double ThreadsCold, double KernelStackCold, double BaselineMs, double Seconds, int FutexSlots);

    /// <summary>
    /// <c>--scaling [1000,3000,10000,30000,100000] [--runs 3] [--big-runs 1] [--huge-runs 0] [--futex-slots S] [--out docs/scaling.png]</c>:
    /// each count in a fresh process, one cold run then <c>--runs</c> more (<c>--big-runs</c> from 30,000 on,
    /// <c>--huge-runs</c> from 100,000 on);
    /// <c>--futex-slots</c> resizes each child's private futex hash (Linux 6.16+, see <see cref="FutexHash"/>).
    /// <c>--replot LOG</c> only redraws the plot from the table in a saved standard output of this mode.
    /// </summary>
    private static int Sweep(string[] args)
    {
        int[] counts = DefaultCounts;
        int runs = 3, bigRuns = 1, hugeRuns = 0;
        int? futexSlots = null;
        string? output = null, replot = null;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs" when i + 1 < args.Length: runs = KernelTargets.ParseInt(args[++i]); break;
                case "--big-runs" when i + 1 < args.Length: bigRuns = KernelTargets.ParseInt(args[++i]); break;
                case "--huge-runs" when i + 1 < args.Length: hugeRuns = KernelTargets.ParseInt(args[++i]); break;
                case "--out" when i + 1 < args.Length: output = args[++i]; break;
                case "--replot" when i + 1 < args.Length: replot = args[++i]; break;
                case "--futex-slots" when i + 1 < args.Length: futexSlots = KernelTargets.ParseInt(args[++i]); break;
                case string c when char.IsAsciiDigit(c[0]): counts = [.. c.Split(',').Select(KernelTargets.ParseInt)]; break;
                default:
                    Console.Error.WriteLine($"--scaling: unknown option '{args[i]}' ([1000,3000,...] [--runs N] [--big-runs N] [--huge-runs N] [--futex-slots S] [--out PATH] [--replot LOG])");
                    return 2;
            }
        }
        output = Path.GetFullPath(output ?? Path.Combine(RepoRoot(), "docs", "scaling.png"));
        if (replot is not null)
        {
            Render(ReadTable(replot), output);
            Console.WriteLine($"plot written: {output}");
            return 0;
        }

        Console.WriteLine(Invariant($"parked-fiber scaling: {Environment.ProcessorCount} CPU(s), .NET {Environment.Version}, ") +
                          Invariant($"{runs} run(s) after the cold one below {BigCount:N0} fibers, {bigRuns} from {BigCount:N0}, {hugeRuns} from {HugeCount:N0}"));
        Console.WriteLine(KernelTargets.LoadAverage("before"));
        Console.WriteLine(Limits());
        foreach (int n in counts)
        {
            foreach (string warning in LimitWarnings(n))
                Console.WriteLine($"  warning for {n:N0}: {warning}");
        }

        var points = new List<Point>();
        var failures = new List<string>();
        foreach (int n in counts)
        {
            int r = n >= HugeCount ? hugeRuns : n >= BigCount ? bigRuns : runs;
            long start = Stopwatch.GetTimestamp();
            try
            {
                ParkedChildResult child = RunParkedChild(n, r, futexSlots: futexSlots);
                double[] cold = child.Runs[0];
                double[][] warm = [.. child.Runs.Skip(1)];
                double[] gc = [.. (warm.Length > 0 ? warm : [cold]).Select(w => w[2])];   // the cold run's when there is no other
                points.Add(new Point(n, r, cold[0], KernelTargets.Median([.. warm.Select(w => w[0])]), cold[1],
                    KernelTargets.Median(gc), KernelTargets.Min(gc), cold[3], cold[4], cold[5], child.GcBaselineMs,
                    Stopwatch.GetElapsedTime(start).TotalSeconds, child.FutexSlots));
            }
            catch (InvalidOperationException e)
            {
                failures.Add(Invariant($"{n:N0}: {e.Message}"));
                Console.Error.WriteLine(Invariant($"scaling: {n:N0} failed after {Stopwatch.GetElapsedTime(start).TotalSeconds:0} s"));
            }
        }

        Console.WriteLine(KernelTargets.LoadAverage("after"));
        Console.WriteLine();
        Console.WriteLine("parked fibers on one FiberEvent, each count in a fresh process (medians of the runs after the cold one)");
        KernelTargets.PrintTable(
            ["fibers", "runs", "park µs/fiber cold", "park µs/fiber warm", "RSS KiB/fiber", "KernelStack KiB/fiber", "maps/fiber", "threads/fiber", "gen0 GC ms", "GC min", "GC ms no fibers", "futex slots", "wall s"],
            [.. points.Select(p => new[]
            {
                Invariant($"{p.Count:N0}"), Invariant($"1+{p.Runs}"), KernelTargets.F(p.ParkCold), KernelTargets.F(p.ParkWarm), KernelTargets.F(p.RssCold),
                KernelTargets.F(p.KernelStackCold), KernelTargets.F(p.MapsCold), KernelTargets.F(p.ThreadsCold), KernelTargets.F(p.GcMs),
                KernelTargets.F(p.GcMin), KernelTargets.F(p.BaselineMs), Invariant($"{p.FutexSlots}"), Invariant($"{p.Seconds:0}"),
            })]);
        Console.WriteLine("  park: first spawn until every fiber is Blocked; cold = first run in the process (creates the threads), warm = pooled threads.");
        Console.WriteLine("  RSS, KernelStack (system-wide, /proc/meminfo), maps (/proc/self/maps lines), threads: after minus before, cold run, per fiber.");
        Console.WriteLine("  gen0 GC: median over the warm runs (the cold run when there is none) of each run's median of 5 forced gen0 collections with the fibers parked.");
        Console.WriteLine("  futex slots: the child's private futex hash (prctl PR_FUTEX_HASH; 0 = global hash, -1 = not supported).");
        foreach (string f in failures)
            Console.WriteLine("FAILED " + f);

        if (points.Count > 0)
        {
            Render(points, output);
            Console.WriteLine($"plot written: {output}");
        }
        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>The points of the table in a saved standard output of <c>--scaling</c> (values as printed).</summary>
    private static List<Point> ReadTable(string log)
    {
        static double D(string cell) => cell == "-" ? double.NaN : double.Parse(cell, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        return
        [
            .. File.ReadLines(log).Where(l => l.StartsWith("| ", StringComparison.Ordinal) && char.IsAsciiDigit(l[2]))
                .Select(l => l.Trim('|', ' ').Split('|').Select(c => c.Trim()).ToArray())
                .Select(c => new Point((int)D(c[0]), int.Parse(c[1][2..], CultureInfo.InvariantCulture), D(c[2]), D(c[3]), D(c[4]), D(c[8]), D(c[9]),
                    D(c[6]), D(c[7]), D(c[5]), D(c[10]), D(c[12]), int.Parse(c[11], CultureInfo.InvariantCulture))),
        ];
    }

    private static void Render(List<Point> points, string path)
    {
        double[] xs = [.. points.Select(p => Math.Log10(p.Count))];
        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        Plot park = multiplot.GetPlot(0), rss = multiplot.GetPlot(1), gc = multiplot.GetPlot(2);

        park.Title("Spawn until parked, per fiber (one FiberEvent; log scale)");
        park.YLabel("µs per fiber");
        AddSeries(park, xs, [.. points.Select(p => p.ParkCold)], "cold: first run in the process (creates the OS threads)", Colors.C0, log: true);
        AddSeries(park, xs, [.. points.Select(p => p.ParkWarm)], "warm: a later run in the same process (pooled threads)", Colors.C1, log: true, labelBelow: true);
        LogY(park, [.. points.SelectMany(p => (double[])[p.ParkCold, p.ParkWarm])]);

        rss.Title("Memory per parked fiber (cold run)");
        rss.YLabel("KiB per fiber");
        AddSeries(rss, xs, [.. points.Select(p => p.RssCold)], "process RSS (VmRSS delta)", Colors.C0);
        AddSeries(rss, xs, [.. points.Select(p => p.KernelStackCold)], "kernel stacks (KernelStack delta, system-wide)", Colors.C2, labelBelow: true);
        rss.Axes.SetLimitsY(0, points.Max(p => Math.Max(p.RssCold, p.KernelStackCold)) * 1.3);

        gc.Title("Forced gen0 GC pause with the fibers parked (log scale)");
        gc.YLabel("ms (median of 5 collections)");
        AddSeries(gc, xs, [.. points.Select(p => p.GcMs)], "with N parked fibers", Colors.C3, log: true);
        double baseline = KernelTargets.Median([.. points.Select(p => p.BaselineMs)]);
        var line = gc.Add.HorizontalLine(Math.Log10(baseline), 1.5f, Colors.Gray, LinePattern.Dashed);
        line.LegendText = Invariant($"no fibers: {baseline:0.00} ms");
        LogY(gc, [.. points.Select(p => p.GcMs), baseline]);
        gc.XLabel("parked fibers (log scale)");

        var xTicks = new ScottPlot.TickGenerators.NumericManual();
        foreach (int n in XTickCounts.Where(n => n >= points[0].Count / 2 && n <= points[^1].Count * 2))
            xTicks.AddMajor(Math.Log10(n), Invariant($"{n:N0}"));
        for (int decade = 100; decade <= 1_000_000; decade *= 10)
        {
            for (int k = 2; k < 10; k++)
                xTicks.AddMinor(Math.Log10(k * decade));
        }
        double xMin = xs.Min() - 0.15, xMax = xs.Max() + 0.15;
        foreach (Plot p in (Plot[])[park, rss, gc])
        {
            p.Axes.Bottom.TickGenerator = xTicks;
            p.Axes.SetLimitsX(xMin, xMax);
            p.Font.Set("DejaVu Sans");   // any installed sans font; ScottPlot falls back to its default
            p.Legend.Orientation = Orientation.Horizontal;
            p.ShowLegend(Edge.Bottom);
            p.Axes.Title.Label.FontSize = 18;
            p.Axes.Left.Label.FontSize = 15;
            p.Axes.Bottom.TickLabelStyle.FontSize = 13;
            p.Axes.Left.TickLabelStyle.FontSize = 13;
        }
        gc.Axes.Bottom.Label.FontSize = 15;
        multiplot.SavePng(path, 1000, 1000);
    }

    /// <summary>A log10 y axis with labelled decades spanning <paramref name="values"/> (NaN ignored).</summary>
    private static void LogY(Plot plot, double[] values)
    {
        double[] logs = [.. values.Where(v => v > 0 && !double.IsNaN(v)).Select(Math.Log10)];
        double lo = Math.Floor(logs.Min() - 0.4), hi = Math.Ceiling(logs.Max() + 0.7);
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (double d = lo; d <= hi; d++)
        {
            ticks.AddMajor(d, Math.Pow(10, d).ToString(d < 0 ? "0.###" : "N0", CultureInfo.InvariantCulture));
            for (int k = 2; k < 10; k++)
                ticks.AddMinor(d + Math.Log10(k));
        }
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.SetLimitsY(lo, logs.Max() + 0.7);   // room for the value written above the top point
    }

    /// <summary>A line with markers and each point's value written above it (or below); NaN points are left out; <paramref name="log"/> plots log10(y).</summary>
    private static void AddSeries(Plot plot, double[] xs, double[] ys, string legend, Color color, bool log = false, bool labelBelow = false)
    {
        int[] keep = [.. Enumerable.Range(0, ys.Length).Where(i => !double.IsNaN(ys[i]))];
        double[] x = [.. keep.Select(i => xs[i])], v = [.. keep.Select(i => ys[i])], y = [.. v.Select(a => log ? Math.Log10(a) : a)];
        var scatter = plot.Add.Scatter(x, y, color);
        scatter.LegendText = legend;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 8;
        for (int i = 0; i < x.Length; i++)
        {
            var text = plot.Add.Text(KernelTargets.F(v[i]), x[i], y[i]);
            text.LabelFontColor = color;
            text.LabelFontSize = 13;
            text.LabelFontName = "DejaVu Sans";
            text.LabelAlignment = labelBelow ? Alignment.UpperCenter : Alignment.LowerCenter;
            text.OffsetY = labelBelow ? 8 : -6;
        }
    }

    // ---- --scaling-gc: GC settings at one count -----------------------------------------------

    /// <summary>
    /// <c>--scaling-gc [10000] [--runs 3] [--churn-mb 256]</c>: the parked measurement at one count under
    /// workstation GC (default), Server GC, a 64 MB gen0 budget, non-concurrent GC and Server GC without
    /// dynamic adaptation, each child with only those variables set; with the fibers parked, each run also allocates <c>--churn-mb</c> MB of garbage and
    /// counts the gen0 collections that caused.
    /// </summary>
    private static int GcVariants(string[] args)
    {
        int count = 10_000, runs = 3, churnMb = 256;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs" when i + 1 < args.Length: runs = KernelTargets.ParseInt(args[++i]); break;
                case "--churn-mb" when i + 1 < args.Length: churnMb = KernelTargets.ParseInt(args[++i]); break;
                case string c when char.IsAsciiDigit(c[0]): count = KernelTargets.ParseInt(c); break;
                default:
                    Console.Error.WriteLine($"--scaling-gc: unknown option '{args[i]}' ([COUNT] [--runs N] [--churn-mb MB])");
                    return 2;
            }
        }
        // .NET 10's Server GC adapts its heap count to the application (DATAS); the last variant turns that off.
        (string Name, (string Variable, string Value)[] Set)[] variants =
        [
            ("workstation, concurrent (default)", []),
            ("DOTNET_gcServer=1", [("DOTNET_gcServer", "1")]),
            ("DOTNET_GCgen0size=0x4000000 (64 MB)", [("DOTNET_GCgen0size", "0x4000000")]),
            ("DOTNET_gcConcurrent=0", [("DOTNET_gcConcurrent", "0")]),
            ("DOTNET_gcServer=1 DOTNET_GCDynamicAdaptationMode=0", [("DOTNET_gcServer", "1"), ("DOTNET_GCDynamicAdaptationMode", "0")]),
        ];
        Console.WriteLine(Invariant($"GC settings with {count:N0} parked fibers: {Environment.ProcessorCount} CPU(s), .NET {Environment.Version}, ") +
                          Invariant($"1 cold + {runs} run(s) per variant, each in a fresh process; churn {churnMb} MB of 64-byte objects per run"));
        Console.WriteLine(KernelTargets.LoadAverage("before"));
        var table = new List<string[]>();
        var failures = new List<string>();
        foreach ((string name, (string Variable, string Value)[] set) in variants)
        {
            Dictionary<string, string?> env = GcVariables.ToDictionary(v => v, string? (_) => null);
            foreach ((string variable, string value) in set)
                env[variable] = value;
            Console.Error.WriteLine($"scaling-gc: {name} ...");
            try
            {
                ParkedChildResult child = RunParkedChild(count, runs, env, churnMb);
                double[][] warm = [.. child.Runs.Skip(1)];
                double[] gc = [.. warm.Select(w => w[2])];
                table.Add(
                [
                    name, child.GcInfo, KernelTargets.F(child.GcBaselineMs), KernelTargets.F(KernelTargets.Median(gc)), KernelTargets.F(KernelTargets.Min(gc)),
                    KernelTargets.F(KernelTargets.Median([.. warm.Select(w => w[6])])), KernelTargets.F(KernelTargets.Median([.. warm.Select(w => w[7])])),
                    KernelTargets.F(KernelTargets.Median([.. warm.Select(w => w[0])])), KernelTargets.F(child.Runs[0][1]),
                ]);
            }
            catch (InvalidOperationException e)
            {
                failures.Add($"{name}: {e.Message}");
            }
        }
        Console.WriteLine(KernelTargets.LoadAverage("after"));
        Console.WriteLine();
        KernelTargets.PrintTable(
            ["variant", "GC settings in effect", "gen0 ms, no fibers", Invariant($"gen0 ms, {count:N0} parked"), "min",
             Invariant($"gen0 GCs per {churnMb} MB"), Invariant($"ms to allocate {churnMb} MB"), "park µs/fiber warm", "RSS KiB/fiber cold"],
            table);
        Console.WriteLine("  gen0 ms: median over the warm runs of each run's median of 5 forced gen0 collections. Churn: with the fibers parked.");
        foreach (string f in failures)
            Console.WriteLine("FAILED " + f);
        return failures.Count == 0 ? 0 : 1;
    }

    // ---- --scaling-frames: the managed frames of a parked fiber ---------------------------------

    /// <summary>
    /// <c>--scaling-frames [100] [--dotnet-stack PATH]</c>: starts a child holding that many fibers parked
    /// on one FiberEvent, runs <c>dotnet-stack report -p PID</c> on it, and prints one parked fiber's
    /// thread stack with its frames counted from the user's <c>Wait</c> call to the innermost.
    /// </summary>
    private static int Frames(string[] args)
    {
        int count = 100;
        string tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-stack");
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dotnet-stack" when i + 1 < args.Length: tool = args[++i]; break;
                case string c when char.IsAsciiDigit(c[0]): count = KernelTargets.ParseInt(c); break;
                default:
                    Console.Error.WriteLine($"--scaling-frames: unknown option '{args[i]}' ([COUNT] [--dotnet-stack PATH])");
                    return 2;
            }
        }
        var psi = new ProcessStartInfo { FileName = Environment.ProcessPath!, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(psi.FileName) == "dotnet")
            psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        psi.ArgumentList.Add("--scaling-hold");
        psi.ArgumentList.Add(Invariant($"{count}"));
        using Process child = Process.Start(psi)!;
        string? ready = child.StandardOutput.ReadLine();
        if (ready != "READY")
        {
            Console.Error.WriteLine($"--scaling-frames: the child said '{ready}'");
            return 1;
        }
        string report;
        using (Process stack = Process.Start(new ProcessStartInfo(tool, ["report", "-p", Invariant($"{child.Id}")]) { RedirectStandardOutput = true, UseShellExecute = false })!)
        {
            report = stack.StandardOutput.ReadToEnd();
            stack.WaitForExit();
        }
        child.StandardInput.WriteLine();
        child.WaitForExit();

        // dotnet-stack prints each thread as a "Thread (0x...):" line, then its frames, innermost first.
        List<List<string>> threads = [];
        foreach (string raw in report.Split('\n'))
        {
            string l = raw.TrimEnd();
            if (l.TrimStart().StartsWith("Thread (", StringComparison.Ordinal))
                threads.Add([l.Trim()]);
            else if (l.Length > 0 && threads.Count > 0)
                threads[^1].Add(l.Trim());
        }
        List<List<string>> parked = [.. threads.Where(t => t.Any(f => f.Contains(nameof(ParkedFiberBody), StringComparison.Ordinal)))];
        Console.WriteLine(Invariant($"dotnet-stack report -p {child.Id}: {threads.Count} threads, {parked.Count} of them with {nameof(ParkedFiberBody)} ({count} fibers parked)"));
        if (parked.Count == 0)
        {
            Console.WriteLine(report);
            return 1;
        }
        List<string> one = parked[0];
        int wait = one.FindIndex(f => f.Contains("FiberEvent.Wait", StringComparison.Ordinal));
        int body = one.FindIndex(f => f.Contains(nameof(ParkedFiberBody), StringComparison.Ordinal));
        Console.WriteLine();
        Console.WriteLine(one[0]);
        for (int i = 1; i < one.Count; i++)
            Console.WriteLine(Invariant($"  {i,3} {one[i]}"));
        Console.WriteLine();
        // "[Native Frames]" stands for the native frames dotnet-stack collapses (below the P/Invoke, or above thread start).
        static int Managed(IEnumerable<string> frames) => frames.Count(f => !f.StartsWith('['));
        Console.WriteLine(Invariant($"managed frames in the thread: {Managed(one.Skip(1))}; from the user's FiberEvent.Wait call to the innermost managed frame: ") +
                          Invariant($"{Managed(one.Skip(1).Take(wait))} (then native frames); with the user's own frame {nameof(ParkedFiberBody)}: {Managed(one.Skip(1).Take(body))}"));
        Console.WriteLine(Invariant($"same frame count in all {parked.Count} parked threads: {parked.All(t => t.Count == one.Count)}"));
        return 0;
    }

    /// <summary>The child of <c>--scaling-frames</c>: parks <paramref name="count"/> fibers, says READY, and releases them on a line of input.</summary>
    private static int Hold(int count) => Fiber.Run(() =>
    {
        var ev = new FiberEvent();
        var fibers = new Fiber[count];
        for (int i = 0; i < count; i++)
            fibers[i] = Fiber.Spawn(() => ParkedFiberBody(ev));
        while (fibers.Any(f => f.State != FiberState.Blocked))
            Fiber.Sleep(TimeSpan.FromMilliseconds(1));
        Console.WriteLine("READY");
        Fiber.RunBlocking(() => Console.ReadLine());
        ev.Set();
        foreach (Fiber f in fibers)
            f.Join();
        return 0;
    });

    /// <summary>The user's code in a parked fiber: one named frame to find in the stack report.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ParkedFiberBody(FiberEvent ev) => ev.Wait();

    // ---- limits -------------------------------------------------------------------------------

    /// <summary>The Linux limits that cap the number of parked fibers (each holds an OS thread).</summary>
    private static string Limits() =>
        $"limits: kernel.pid_max={Sysctl("kernel/pid_max")} kernel.threads-max={Sysctl("kernel/threads-max")} " +
        $"vm.max_map_count={Sysctl("vm/max_map_count")} RLIMIT_NPROC={NprocLimit()} (uid {Uid()})";

    private static IEnumerable<string> LimitWarnings(int fibers)
    {
        // A few hundred threads of the runtime and the fiber thread pool's reserve come on top.
        long threads = fibers + 300, maps = (long)fibers * MapsPerFiberEstimate + 2_000;
        if (long.TryParse(Sysctl("kernel/pid_max"), out long pidMax) && threads > pidMax)
            yield return Invariant($"~{threads:N0} threads need kernel.pid_max > {threads:N0} (is {pidMax:N0})");
        if (long.TryParse(Sysctl("kernel/threads-max"), out long threadsMax) && threads > threadsMax)
            yield return Invariant($"~{threads:N0} threads exceed kernel.threads-max {threadsMax:N0}");
        if (long.TryParse(Sysctl("vm/max_map_count"), out long maxMaps) && maps > maxMaps)
            yield return Invariant($"~{maps:N0} mappings exceed vm.max_map_count {maxMaps:N0}");
        if (long.TryParse(NprocLimit(), out long nproc) && threads > nproc && Uid() != "0")
            yield return Invariant($"~{threads:N0} threads exceed RLIMIT_NPROC {nproc:N0} (ulimit -u; counts all of the user's threads)");
    }

    private static string Sysctl(string name) =>
        File.Exists("/proc/sys/" + name) ? File.ReadAllText("/proc/sys/" + name).Trim() : "?";

    private static string NprocLimit() =>
        File.Exists("/proc/self/limits")
            ? File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max processes", StringComparison.Ordinal))?
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)[2] ?? "?"
            : "?";

    private static string Uid() =>
        File.Exists("/proc/self/status")
            ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?
                .Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[1] ?? "?"
            : "?";

    /// <summary>The repository root: the nearest directory up from the working directory (or the program) with docs/benchmarks.md.</summary>
    private static string RepoRoot()
    {
        foreach (string start in (string[])[Environment.CurrentDirectory, AppContext.BaseDirectory])
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "docs", "benchmarks.md")))
                    return d.FullName;
            }
        }
        return Environment.CurrentDirectory;
    }
}

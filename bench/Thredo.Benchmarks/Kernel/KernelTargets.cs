// The kernel's targets, Thredo against its baseline in one process and one run, so each ratio is taken
// under the same machine noise. Not BenchmarkDotNet: on 2 noisy shared cores a separate run per case
// would compare different noise, so cases are interleaved round by round with a plain Stopwatch.
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Threading.Channels;
using static System.FormattableString;

namespace Thredo.Benchmarks.Kernel;

/// <summary>
/// The <c>--kernel</c> mode of the benchmark program: ping-pong hand-offs, spawn + join, parked fibers
/// (time, RSS, gen0 GC pause) and idle CPU, each with its target, ending in a summary table.
/// </summary>
public static class KernelTargets
{
    private const int HandOffs = 2 * PingPongBenchmarks.RoundTrips;

    /// <summary>A line of the summary; <c>Ratio</c> and <c>Baseline</c> are NaN when there is none.</summary>
    private sealed record Row(string Measurement, double Thredo, double Baseline, string Target, bool Met)
    {
        public double Ratio => Thredo / Baseline;
    }

    /// <summary>
    /// <c>--kernel [--runs N] [--quick] [--parked 1000,10000]</c>. Each case is warmed up once, then
    /// measured N times (default 5; <c>--quick</c>: 3 runs and smaller counts); tables go to stdout,
    /// progress to stderr. <c>--parked</c> runs only the parked-fiber measurement, once per count.
    /// (<c>--parked-child N [--churn-mb M] [--futex-slots S]</c> is internal: one count's runs, in a fresh process.)
    /// </summary>
    /// <returns>0, or 2 for a bad option.</returns>
    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        int? runsOption = null;
        int[]? parkedCounts = null;
        int? parkedChild = null;
        int churnMb = 0;
        int? futexSlots = null;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": break;
                case "--runs" when i + 1 < args.Length: runsOption = ParseInt(args[++i]); break;
                case "--parked" when i + 1 < args.Length: parkedCounts = [.. args[++i].Split(',').Select(ParseInt)]; break;
                case "--parked-child" when i + 1 < args.Length: parkedChild = ParseInt(args[++i]); break;
                case "--churn-mb" when i + 1 < args.Length: churnMb = ParseInt(args[++i]); break;
                case "--futex-slots" when i + 1 < args.Length: futexSlots = ParseInt(args[++i]); break;
                default:
                    Console.Error.WriteLine($"--kernel: unknown option '{args[i]}' (--runs N, --quick, --parked 1000,10000)");
                    return 2;
            }
        }
        int runs = runsOption ?? (quick ? 3 : 5);
        if (parkedChild is int childCount)
            return ParkedChild(childCount, runs, churnMb, futexSlots);
        int spawnCount = quick ? 1_000 : 5_000;
        TimeSpan idle = TimeSpan.FromSeconds(quick ? 2 : 10);

        Console.WriteLine(Invariant($"kernel targets: {runs} run(s) per case after one warm-up{(quick ? " (--quick)" : "")}, ") +
                          Invariant($"{Environment.ProcessorCount} CPU(s), .NET {Environment.Version}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC"));
        Console.WriteLine(LoadAverage("before"));

        // Before any Fiber.Run: idle pooled fiber threads would otherwise be suspended by the "no fibers" GC too.
        double[] gcBaseline = Column(Sample("gen0 GC, no fibers", runs, warmUp: true, () => [Gen0PauseMs()])[0], 0);
        List<Row> rows = parkedCounts is null ? [.. PingPong(runs), .. SpawnJoin(spawnCount, runs)] : [];
        rows.AddRange(Parked(parkedCounts ?? [quick ? 2_000 : 10_000], runs, gcBaseline));
        if (parkedCounts is null)
            rows.AddRange(IdleCpu(idle, runs));
        Console.WriteLine(LoadAverage("after"));
        PrintSummary(rows);
        return 0;
    }

    // ---- 1. ping-pong -------------------------------------------------------------------------

    private static List<Row> PingPong(int runs)
    {
        List<double[]>[] r = Sample("ping-pong", runs, warmUp: true,
            () => [ThredoPingPong()], () => [SemaphorePingPong()], () => [ChannelPingPong()]);
        double[] thredo = Column(r[0], 0), semaphore = Column(r[1], 0), channel = Column(r[2], 0);
        Section(Invariant($"ping-pong, ns per hand-off ({PingPongBenchmarks.RoundTrips:N0} round trips = {HandOffs:N0} hand-offs per run)"),
            ("Thredo: two FiberQueue<int>, main + 1 fiber", thredo, null),
            ("SemaphoreSlim x2, two dedicated threads", semaphore, thredo),
            ("Channel<int> x2, two Task.Run async loops", channel, thredo));
        return
        [
            RatioRow("ping-pong ns/hand-off vs Channel", thredo, channel, 1.0),
            RatioRow("ping-pong ns/hand-off vs SemaphoreSlim", thredo, semaphore, 2.0),
        ];
    }

    private static double ThredoPingPong() => Fiber.Run(static () =>
    {
        long start = Stopwatch.GetTimestamp();
        PingPongBenchmarks.FiberPingPong(spin: null);
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / HandOffs;
    });

    private static double SemaphorePingPong()
    {
        using var ping = new SemaphoreSlim(0);
        using var pong = new SemaphoreSlim(0);
        double ns = 0;
        var b = new Thread(() =>
        {
            for (int i = 0; i < PingPongBenchmarks.RoundTrips; i++)
            {
                ping.Wait();
                pong.Release();
            }
        });
        var a = new Thread(() =>
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < PingPongBenchmarks.RoundTrips; i++)
            {
                ping.Release();
                pong.Wait();
            }
            ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / HandOffs;
        });
        b.Start();
        a.Start();
        a.Join();
        b.Join();
        return ns;
    }

    private static double ChannelPingPong() => Task.Run(static async () =>
    {
        var options = new UnboundedChannelOptions { SingleReader = true, SingleWriter = true };
        Channel<int> ping = Channel.CreateUnbounded<int>(options), pong = Channel.CreateUnbounded<int>(options);
        Task partner = Task.Run(async () =>
        {
            for (int i = 0; i < PingPongBenchmarks.RoundTrips; i++)
                pong.Writer.TryWrite(await ping.Reader.ReadAsync().ConfigureAwait(false));
        });
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < PingPongBenchmarks.RoundTrips; i++)
        {
            ping.Writer.TryWrite(i);
            await pong.Reader.ReadAsync().ConfigureAwait(false);
        }
        double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / HandOffs;
        await partner.ConfigureAwait(false);
        return ns;
    }).GetAwaiter().GetResult();

    // ---- 2. spawn + join ----------------------------------------------------------------------

    private static List<Row> SpawnJoin(int count, int runs)
    {
        List<double[]>[] r = Sample("spawn+join", runs, warmUp: true, () => ThredoSpawnJoin(count), () => [TaskSpawnJoin(count)]);
        double[] inside = Column(r[0], 0), whole = Column(r[0], 1), tasks = Column(r[1], 0);
        Section(Invariant($"spawn + join, µs per unit ({count:N0} trivial units per run)"),
            ("Task.Run x N, Task.WaitAll", tasks, null),
            ("Thredo: Spawn x N, Join each, inside Fiber.Run", inside, null),
            ("Thredo: the same, whole Fiber.Run", whole, null));
        Console.WriteLine(Invariant($"  ratio Thredo/Task.Run of medians: inside {Median(inside) / Median(tasks):0.00}x, whole Fiber.Run {Median(whole) / Median(tasks):0.00}x"));
        Console.WriteLine();
        return
        [
            RatioRow(Invariant($"spawn+join µs/fiber, {count:N0}, inside Fiber.Run"), inside, tasks, 2.0),
            new Row(Invariant($"spawn+join µs/fiber, {count:N0}, whole Fiber.Run"), Median(whole), Median(tasks), "info", true),
        ];
    }

    /// <returns>µs per fiber timed inside <c>Fiber.Run</c>'s main, and for the whole <c>Fiber.Run</c>.</returns>
    private static double[] ThredoSpawnJoin(int count)
    {
        long start = Stopwatch.GetTimestamp();
        double inside = Fiber.Run(() =>
        {
            long t = Stopwatch.GetTimestamp();
            var fibers = new Fiber[count];
            for (int i = 0; i < count; i++)
                fibers[i] = Fiber.Spawn(static () => { });
            foreach (Fiber f in fibers)
                f.Join();
            return Stopwatch.GetElapsedTime(t).TotalMicroseconds / count;
        });
        return [inside, Stopwatch.GetElapsedTime(start).TotalMicroseconds / count];
    }

    private static double TaskSpawnJoin(int count)
    {
        long start = Stopwatch.GetTimestamp();
        var tasks = new Task[count];
        for (int i = 0; i < count; i++)
            tasks[i] = Task.Run(static () => { });
        Task.WaitAll(tasks);
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / count;
    }

    // ---- 3. parked fibers ---------------------------------------------------------------------

    private static List<Row> Parked(int[] counts, int runs, double[] gcBaseline)
    {
        var rows = new List<Row>();
        var table = new List<string[]>();
        foreach (int n in counts)
        {
            List<double[]> r = ParkedInChild(n, runs);
            double coldRss = r[0][1];
            r.RemoveAt(0);
            double[] park = Column(r, 0), warmRss = Column(r, 1), gc = Column(r, 2);
            table.Add([Invariant($"{n:N0}"), F(Median(park)), F(Min(park)), F(coldRss), F(Median(warmRss)), F(Median(gc)), F(Min(gc))]);
            rows.Add(new Row(Invariant($"park µs/fiber, {n:N0} on one FiberEvent"), Median(park), double.NaN, "< 50 µs", Median(park) < 50));
            rows.Add(new Row(Invariant($"RSS KiB/parked fiber, {n:N0}, cold run"), coldRss, double.NaN, "< 20 KiB", coldRss < 20));
            rows.Add(new Row(Invariant($"gen0 GC pause ms, {n:N0} parked"), Median(gc), Median(gcBaseline), "< 15 ms", Median(gc) < 15));
        }
        Console.WriteLine();
        Console.WriteLine(Invariant($"parked fibers on one FiberEvent ({runs} runs after a cold one, each count in a fresh process); gen0 GC pause with no fibers: median {F(Median(gcBaseline))} ms, min {F(Min(gcBaseline))} ms"));
        PrintTable(["fibers", "park µs/fiber", "park min", "RSS KiB/fiber cold", "RSS KiB/fiber warm", "gen0 GC ms", "GC min"], table);
        Console.WriteLine("  park: first spawn until every fiber is Blocked. RSS: VmRSS after minus before (after a full GC), per fiber.");
        Console.WriteLine("  gen0 GC: median of 5 forced gen0 collections with the fibers parked.");
        Console.WriteLine();
        return rows;
    }

    /// <summary>
    /// Runs <see cref="ParkedChild"/> in a fresh process and returns its metrics, the cold run first.
    /// </summary>
    /// <remarks>
    /// The first run in a process is the cold one: its RSS delta includes creating what later runs find
    /// pooled (today, an OS thread and its touched stack per fiber), so only it gives the true cost per
    /// parked fiber. A fresh process per count keeps an earlier count, or another measurement, from
    /// having filled those pools.
    /// </remarks>
    private static List<double[]> ParkedInChild(int count, int runs) => RunParkedChild(count, runs).Runs;

    /// <summary>What one <c>--parked-child</c> process reported.</summary>
    /// <param name="Runs">Per run, the cold one first: the values of <see cref="ParkOnce"/>.</param>
    /// <param name="GcBaselineMs">Median forced gen0 pause in the child before any <c>Fiber.Run</c>.</param>
    /// <param name="GcInfo">The child's GC settings in effect (server, concurrent, heaps, gen0 max budget).</param>
    /// <param name="FutexSlots">The child's private futex hash slots (see <see cref="FutexHash"/>; -1: unsupported).</param>
    internal sealed record ParkedChildResult(List<double[]> Runs, double GcBaselineMs, string GcInfo, int FutexSlots);

    /// <summary>
    /// Runs <see cref="ParkedChild"/> in a fresh process, with <paramref name="environment"/> changes
    /// (a null value removes the variable), and returns what it reported. <paramref name="futexSlots"/>
    /// resizes the child's private futex hash first.
    /// </summary>
    /// <exception cref="InvalidOperationException">The child failed; the message ends with its output and the tail of its stderr.</exception>
    internal static ParkedChildResult RunParkedChild(int count, int runs, IReadOnlyDictionary<string, string?>? environment = null, int churnMb = 0, int? futexSlots = null)
    {
        var psi = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(psi.FileName) == "dotnet")   // launched as `dotnet x.dll`
            psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (string a in (string[])["--kernel", "--parked-child", Invariant($"{count}"), "--runs", Invariant($"{runs}"), "--churn-mb", Invariant($"{churnMb}")])
            psi.ArgumentList.Add(a);
        if (futexSlots is int slots)
        {
            psi.ArgumentList.Add("--futex-slots");
            psi.ArgumentList.Add(Invariant($"{slots}"));
        }
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                psi.Environment.Remove(name);
            else
                psi.Environment[name] = value;
        }
        using Process p = Process.Start(psi)!;
        // The child's progress is passed through as it comes; its tail goes into a failure's message.
        var stderrTail = new Queue<string>();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            Console.Error.WriteLine(e.Data);
            lock (stderrTail)
            {
                stderrTail.Enqueue(e.Data);
                if (stderrTail.Count > 30)
                    stderrTail.Dequeue();
            }
        };
        p.BeginErrorReadLine();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string[] lines = output.Split('\n');
        List<double[]> results = [.. lines.Where(l => l.StartsWith("RUN ", StringComparison.Ordinal)).Select(l => Doubles(l["RUN ".Length..]))];
        if (p.ExitCode != 0 || results.Count != runs + 1)
        {
            string tail;
            lock (stderrTail)
                tail = string.Join('\n', stderrTail);
            throw new InvalidOperationException(Invariant($"--parked-child {count} failed (exit {p.ExitCode}): {output}\nstderr (tail):\n{tail}"));
        }
        string? baseline = lines.FirstOrDefault(l => l.StartsWith("BASE ", StringComparison.Ordinal));
        string gcInfo = lines.FirstOrDefault(l => l.StartsWith("GCINFO ", StringComparison.Ordinal))?["GCINFO ".Length..].Trim() ?? "";
        string? futex = lines.FirstOrDefault(l => l.StartsWith("FUTEX ", StringComparison.Ordinal));
        return new ParkedChildResult(results, baseline is null ? double.NaN : Doubles(baseline["BASE ".Length..])[0], gcInfo,
            futex is null ? -1 : int.Parse(futex["FUTEX ".Length..].Trim(), CultureInfo.InvariantCulture));

        static double[] Doubles(string values) =>
            [.. values.Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture))];
    }

    /// <summary>
    /// The child: one cold run and <paramref name="runs"/> more at one count, a "RUN ..." line each (the
    /// values of <see cref="ParkOnce"/>), after a "BASE gen0-ms" line (no fibers yet), a "GCINFO" line and
    /// a "FUTEX slots" line (after resizing the private futex hash to <paramref name="futexSlots"/>, if given).
    /// </summary>
    private static int ParkedChild(int count, int runs, int churnMb, int? futexSlots)
    {
        if (futexSlots is int slots)
            FutexHash.SetSlotsTo(slots);
        Console.WriteLine(Invariant($"FUTEX {FutexHash.Slots()}"));
        Console.WriteLine("BASE " + Gen0PauseMs().ToString("R", CultureInfo.InvariantCulture));
        IReadOnlyDictionary<string, object> gc = GC.GetConfigurationVariables();
        Console.WriteLine("GCINFO " + string.Join(' ', ((string[])["ServerGC", "ConcurrentGC", "HeapCount", "GCGen0MaxBudget"])
            .Select(k => Invariant($"{k}={(gc.TryGetValue(k, out object? v) ? v : "-")}"))));
        ParkOnce(8, 0);   // JIT the path with a handful of fibers, so the cold run's RSS is mostly the fibers'
        Console.Error.WriteLine(Invariant($"parked {count:N0}: cold run ..."));
        // Each run's line as soon as it is done, so a child killed in a later run still shows the earlier ones.
        Report(ParkOnce(count, churnMb));
        Sample(Invariant($"parked {count:N0}"), runs, warmUp: false, () => Report(ParkOnce(count, churnMb)));
        return 0;

        static double[] Report(double[] r)
        {
            Console.WriteLine("RUN " + string.Join(' ', r.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            return r;
        }
    }

    /// <returns>
    /// µs per fiber from first spawn until all are parked, RSS KiB per parked fiber, gen0 GC pause ms;
    /// then, per parked fiber, memory mappings added, OS threads added and system-wide KernelStack KiB
    /// added (all three near 0 after the cold run: the threads are pooled); then, with
    /// <paramref name="churnMb"/> &gt; 0, the gen0 collections and the ms taken to allocate that many MB
    /// of small garbage with the fibers parked (else NaN).
    /// </returns>
    private static double[] ParkOnce(int count, int churnMb) => Fiber.Run(() =>
    {
        var ev = new FiberEvent();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long mapsBefore = MapCount(), threadsBefore = ProcStatusKib("Threads:"), kernelStackBefore = KernelStackKib();
        long rssBefore = VmRssKib();
        long start = Stopwatch.GetTimestamp();
        var fibers = new Fiber[count];
        for (int i = 0; i < count; i++)
            fibers[i] = Fiber.Spawn(() => ev.Wait());
        // A fiber parked on the event stays Blocked until Set, so each poll resumes where the last stopped.
        int next = 0;
        while (true)
        {
            while (next < count && fibers[next].State == FiberState.Blocked)
                next++;
            if (next == count)
                break;
            if (fibers[next].Exception is FiberLimitException limit)
            {
                // A limit below `count`: say which, as a user would see it, instead of waiting forever.
                Console.Error.WriteLine(Invariant($"parked {next:N0} of {count:N0}, then: {limit.Message}"));
                ev.Set();
                Environment.Exit(3);
            }
            Fiber.Sleep(TimeSpan.FromMilliseconds(1));
        }
        double parkUs = Stopwatch.GetElapsedTime(start).TotalMicroseconds / count;
        double rssKib = (VmRssKib() - rssBefore) / (double)count;
        double mapsPerFiber = (MapCount() - mapsBefore) / (double)count;
        double threadsPerFiber = (ProcStatusKib("Threads:") - threadsBefore) / (double)count;
        double kernelStackKib = (KernelStackKib() - kernelStackBefore) / (double)count;
        double gcMs = Gen0PauseMs();
        (double churnGen0, double churnMs) = churnMb > 0 ? Churn(churnMb) : (double.NaN, double.NaN);
        ev.Set();
        foreach (Fiber f in fibers)
            f.Join();
        return new[] { parkUs, rssKib, gcMs, mapsPerFiber, threadsPerFiber, kernelStackKib, churnGen0, churnMs };
    });

    /// <summary>Allocates <paramref name="mb"/> MB of 64-byte garbage; returns the gen0 collections it caused and the ms it took.</summary>
    private static (double Gen0, double Ms) Churn(int mb)
    {
        int before = GC.CollectionCount(0);
        long start = Stopwatch.GetTimestamp();
        object? keep = null;
        for (long i = 0, n = mb * 1024L * 1024 / 64; i < n; i++)
            keep = new byte[40];   // 24-byte array header + 40 = 64 bytes
        GC.KeepAlive(keep);
        return (GC.CollectionCount(0) - before, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    /// <summary>Lines of /proc/self/maps (one per memory mapping), counted without building strings.</summary>
    private static long MapCount()
    {
        using var maps = new FileStream("/proc/self/maps", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var buffer = new byte[1 << 16];
        long lines = 0;
        for (int n; (n = maps.Read(buffer)) > 0;)
            lines += buffer.AsSpan(0, n).Count((byte)'\n');
        return lines;
    }

    /// <summary>The system-wide KernelStack of /proc/meminfo, KiB (kernel memory per thread that RSS does not show).</summary>
    private static long KernelStackKib()
    {
        string line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("KernelStack:", StringComparison.Ordinal));
        return long.Parse(line["KernelStack:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    internal static double Gen0PauseMs()
    {
        var pauses = new double[5];
        for (int i = 0; i < pauses.Length; i++)
        {
            var sw = Stopwatch.StartNew();
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            sw.Stop();
            pauses[i] = sw.Elapsed.TotalMilliseconds;
        }
        return Median(pauses);
    }

    private static long VmRssKib() => ProcStatusKib("VmRSS:");

    /// <summary>The first number of a /proc/self/status line (KiB for VmRSS, a count for Threads).</summary>
    private static long ProcStatusKib(string key)
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
        return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    // ---- 4. idle CPU --------------------------------------------------------------------------

    private static List<Row> IdleCpu(TimeSpan sleep, int runs)
    {
        // The warm-up only needs to JIT Fiber.Run and Sleep, not to sit idle for the full time.
        IdleCpuPercent(TimeSpan.FromMilliseconds(100));
        double[] cpu = Column(Sample("idle CPU", runs, warmUp: false, () => [IdleCpuPercent(sleep)])[0], 0);
        Section(Invariant($"idle CPU, % of one CPU: Fiber.Run(() => Fiber.Sleep({sleep.TotalSeconds:0} s)), process user+sys over wall time"),
            ("Thredo", cpu, null));
        return [new Row(Invariant($"idle CPU % during Fiber.Sleep({sleep.TotalSeconds:0} s)"), Median(cpu), double.NaN, "< 1 %", Median(cpu) < 1)];
    }

    private static double IdleCpuPercent(TimeSpan sleep)
    {
        using Process self = Process.GetCurrentProcess();
        self.Refresh();
        TimeSpan cpuBefore = self.TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        Fiber.Run(() => Fiber.Sleep(sleep));
        TimeSpan wall = Stopwatch.GetElapsedTime(start);
        self.Refresh();
        return 100 * (self.TotalProcessorTime - cpuBefore) / wall;
    }

    // ---- sampling and printing ----------------------------------------------------------------

    /// <summary>
    /// Runs the cases round by round, rotating which goes first so none always meets the same noise.
    /// Returns, per case, one metrics array per run.
    /// </summary>
    private static List<double[]>[] Sample(string label, int runs, bool warmUp, params Func<double[]>[] cases)
    {
        if (warmUp)
        {
            Console.Error.WriteLine($"{label}: warm-up ...");
            foreach (Func<double[]> c in cases)
                c();
        }
        List<double[]>[] results = [.. cases.Select(_ => new List<double[]>())];
        for (int r = 0; r < runs; r++)
        {
            Console.Error.WriteLine(Invariant($"{label}: run {r + 1}/{runs} ..."));
            for (int k = 0; k < cases.Length; k++)
            {
                int c = (k + r) % cases.Length;
                results[c].Add(cases[c]());
            }
        }
        return results;
    }

    private static double[] Column(List<double[]> runs, int metric) => [.. runs.Select(r => r[metric])];

    private static Row RatioRow(string measurement, double[] thredo, double[] baseline, double maxRatio)
    {
        double ratio = Median(thredo) / Median(baseline);
        return new Row(measurement, Median(thredo), Median(baseline), Invariant($"<= {maxRatio:0.0}x"), ratio <= maxRatio);
    }

    /// <summary>A titled table of cases; a case given a Thredo column also gets the ratio Thredo / it.</summary>
    private static void Section(string title, params (string Case, double[] Samples, double[]? Thredo)[] cases)
    {
        Console.WriteLine();
        Console.WriteLine(title);
        PrintTable(["case", "median", "min", "Thredo/this"],
            [.. cases.Select(c => new[] { c.Case, F(Median(c.Samples)), F(Min(c.Samples)), c.Thredo is null ? "" : Invariant($"{Median(c.Thredo) / Median(c.Samples):0.00}x") })]);
    }

    private static void PrintSummary(List<Row> rows)
    {
        Console.WriteLine();
        Console.WriteLine("summary (medians; ratio = Thredo / baseline)");
        PrintTable(["measurement", "Thredo", "baseline", "ratio", "target", "met?"],
            [.. rows.Select(r => new[]
            {
                r.Measurement, F(r.Thredo), F(r.Baseline), double.IsNaN(r.Ratio) ? "-" : Invariant($"{r.Ratio:0.00}x"), r.Target,
                r.Target == "info" ? "-" : r.Met ? "met" : "MISSED",
            })]);
    }

    /// <summary>Markdown-shaped, padded so it also reads as plain text; the first column left-aligned, the rest right.</summary>
    internal static void PrintTable(string[] headers, List<string[]> rows)
    {
        int[] widths = [.. headers.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max())];
        string Line(string[] cells) =>
            "| " + string.Join(" | ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))) + " |";
        Console.WriteLine(Line(headers));
        Console.WriteLine(Line([.. widths.Select((w, i) => i == 0 ? new string('-', w) : new string('-', w - 1) + ":")]));
        foreach (string[] row in rows)
            Console.WriteLine(Line(row));
    }

    /// <summary>Three significant figures or so, whatever the magnitude.</summary>
    internal static string F(double v) =>
        double.IsNaN(v) ? "-" : v.ToString(Math.Abs(v) >= 100 ? "N0" : Math.Abs(v) >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture);

    internal static int ParseInt(string s) => int.Parse(s, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    internal static double Median(double[] xs)
    {
        double[] s = [.. xs.Order()];
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    internal static double Min(double[] xs) => xs.Length == 0 ? double.NaN : xs.Min();

    /// <summary>Other processes share the CPUs; the load average says how much (Linux only).</summary>
    internal static string LoadAverage(string when) =>
        File.Exists("/proc/loadavg") ? $"load average {when}: {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}" : "";
}

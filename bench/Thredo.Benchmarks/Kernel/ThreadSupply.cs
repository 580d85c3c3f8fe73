using System.Diagnostics;
using System.Runtime.InteropServices;
using static System.FormattableString;

namespace Thredo.Benchmarks.Kernel;

/// <summary>
/// The <c>--thread-supply [--runs N] [--threads N]</c> mode of the benchmark program (kernel v2, item 4): what an OS
/// thread costs from the start of its creation until it runs its first managed statement, for
/// <c>new Thread(...).Start()</c> and for <c>pthread_create</c> with an <c>[UnmanagedCallersOnly]</c>
/// start routine, each from one creator thread and from two in parallel. Every thread gets a 256 KiB
/// stack (Thredo's default fiber stack), counts itself in, and parks on a shared event until the run
/// is measured; then all are released and joined.
/// </summary>
public static unsafe partial class ThreadSupply
{
    private static int s_threads = 2_000;
    private const int StackSize = 256 * 1024;

    private static readonly ManualResetEventSlim s_allArrived = new(false, 0);
    private static readonly ManualResetEventSlim s_release = new(false, 0);
    private static int s_arrived;

    private sealed record Variant(string Name, bool Native, int Creators);

    private readonly record struct Sample(double PerThreadUs, double CreatorUs);

    /// <summary>Warms every variant up once, then measures each N times (default 5), alternating variants.</summary>
    /// <param name="args">The program's arguments (<c>--thread-supply [--runs 5] [--threads 2000]</c>; an even thread count).</param>
    /// <returns>0, or 2 when not on Linux.</returns>
    public static int Run(string[] args)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("--thread-supply: Linux only (pthread_create from libc)");
            return 2;
        }
        int runs = 5;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            int value = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--runs": runs = value; break;
                case "--threads" when value > 0 && value % 2 == 0: s_threads = value; break;
                default: throw new ArgumentException($"--thread-supply: unknown option '{args[i]}' (--runs N, --threads N with N even)");
            }
        }
        Variant[] variants =
        [
            new("(a) new Thread(body, 256 KiB).Start(), 1 creator", false, 1),
            new("(b) new Thread(body, 256 KiB).Start(), 2 creators", false, 2),
            new("(c) pthread_create + [UnmanagedCallersOnly], 1 creator", true, 1),
            new("(d) pthread_create + [UnmanagedCallersOnly], 2 creators", true, 2),
        ];
        Console.WriteLine(Invariant($"thread supply: {s_threads:N0} threads per run, {StackSize / 1024} KiB stacks, {runs} runs per variant after one warm-up, {Environment.ProcessorCount} CPU(s), .NET {Environment.Version}"));
        Console.WriteLine($"load average before: {LoadAverage()}");

        var samples = variants.ToDictionary(v => v, _ => new List<Sample>());
        for (int r = 0; r <= runs; r++)
        {
            for (int i = 0; i < variants.Length; i++)
            {
                Variant v = variants[(i + r) % variants.Length];
                Sample s = Measure(v);
                Console.Error.WriteLine(Invariant($"{(r == 0 ? "warm-up" : $"run {r}/{runs}")}: {v.Name}: {s.PerThreadUs:F1} µs/thread, creator {s.CreatorUs:F1} µs/thread"));
                if (r > 0)
                    samples[v].Add(s);
            }
        }

        double baseline = Median(samples[variants[0]].Select(s => s.PerThreadUs));
        Console.WriteLine();
        Console.WriteLine("creation start until every thread has run its first managed statement, µs per thread");
        Console.WriteLine("| case | median | min | max | vs (a) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (Variant v in variants)
            PrintRow(v.Name, samples[v].Select(s => s.PerThreadUs).ToList(), baseline);

        double creatorBaseline = Median(samples[variants[0]].Select(s => s.CreatorUs));
        Console.WriteLine();
        Console.WriteLine("creator only: time inside the creation loop (until Start() / pthread_create returns), µs per thread");
        Console.WriteLine("| case | median | min | max | vs (a) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (Variant v in variants.Where(v => v.Creators == 1))
            PrintRow(v.Name, samples[v].Select(s => s.CreatorUs).ToList(), creatorBaseline);
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    private static Sample Measure(Variant v)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        s_arrived = 0;
        s_allArrived.Reset();
        s_release.Reset();
        var managed = new Thread[s_threads];
        var native = new nuint[s_threads];
        var creatorTicks = new long[v.Creators];
        using var go = new ManualResetEventSlim(false, 0);
        int share = s_threads / v.Creators;
        var creators = new Thread[v.Creators];
        for (int c = 0; c < v.Creators; c++)
        {
            int first = c * share, index = c;
            creators[c] = new Thread(() =>
            {
                go.Wait();
                long start = Stopwatch.GetTimestamp();
                if (v.Native)
                    CreateNative(native, first, share);
                else
                    CreateManaged(managed, first, share);
                creatorTicks[index] = Stopwatch.GetTimestamp() - start;
            });
            creators[c].Start();
        }

        long t0 = Stopwatch.GetTimestamp();
        go.Set();
        s_allArrived.Wait();
        long elapsed = Stopwatch.GetTimestamp() - t0;
        foreach (Thread c in creators)
            c.Join();
        s_release.Set();
        if (v.Native)
        {
            foreach (nuint t in native)
                Check(PthreadJoin(t, null), "pthread_join");
        }
        else
        {
            foreach (Thread t in managed)
                t.Join();
        }
        return new(elapsed * 1e6 / Stopwatch.Frequency / s_threads, creatorTicks.Average() * 1e6 / Stopwatch.Frequency / share);
    }

    private static void CreateManaged(Thread[] into, int first, int count)
    {
        for (int i = first; i < first + count; i++)
        {
            into[i] = new Thread(Arrive, StackSize) { IsBackground = true };
            into[i].Start();
        }
    }

    private static void CreateNative(nuint[] into, int first, int count)
    {
        byte* attr = stackalloc byte[128];
        Check(PthreadAttrInit(attr), "pthread_attr_init");
        Check(PthreadAttrSetStackSize(attr, StackSize), "pthread_attr_setstacksize");
        delegate* unmanaged<nint, nint> start = &NativeStart;
        fixed (nuint* ids = into)
        {
            for (int i = first; i < first + count; i++)
                Check(PthreadCreate(ids + i, attr, start, 0), "pthread_create");
        }
        Check(PthreadAttrDestroy(attr), "pthread_attr_destroy");
    }

    [UnmanagedCallersOnly]
    private static nint NativeStart(nint arg)
    {
        Arrive();
        return 0;
    }

    private static void Arrive()
    {
        if (Interlocked.Increment(ref s_arrived) == s_threads)
            s_allArrived.Set();
        s_release.Wait();
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
            throw new InvalidOperationException($"{call} failed: error {error}");
    }

    private static void PrintRow(string name, List<double> xs, double baseline) =>
        Console.WriteLine(Invariant($"| {name} | {Median(xs):F1} | {xs.Min():F1} | {xs.Max():F1} | {Median(xs) / baseline:F2}x |"));

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    [LibraryImport("libc", EntryPoint = "pthread_attr_init")]
    private static partial int PthreadAttrInit(byte* attr);

    [LibraryImport("libc", EntryPoint = "pthread_attr_setstacksize")]
    private static partial int PthreadAttrSetStackSize(byte* attr, nuint size);

    [LibraryImport("libc", EntryPoint = "pthread_attr_destroy")]
    private static partial int PthreadAttrDestroy(byte* attr);

    [LibraryImport("libc", EntryPoint = "pthread_create")]
    private static partial int PthreadCreate(nuint* thread, byte* attr, delegate* unmanaged<nint, nint> start, nint arg);

    [LibraryImport("libc", EntryPoint = "pthread_join")]
    private static partial int PthreadJoin(nuint thread, nint* result);
}

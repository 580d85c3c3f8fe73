using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Thredo.Benchmarks.Kernel;

/// <summary>
/// <c>--memory</c>: resident memory per parked unit at 10,000 units, not a BenchmarkDotNet timing.
/// Each configuration runs in a fresh child process (<c>--memory-one KIND STACK</c>) so thread-pool
/// and glibc stack caches of one configuration never flatter another. A child reads VmRSS from
/// /proc/self/status (and the system-wide KernelStack from /proc/meminfo, memory the kernel spends
/// per thread outside the process's RSS) before starting the units and once all are parked, after a
/// full GC each time; it prints the deltas, which the parent divides by the count. Fibers are
/// spawned in batches of 500 (see <see cref="ParkedFibers.SpawnParked"/> for why).
/// </summary>
internal static class ParkedMemory
{
    private static int Count = 10_000;

    /// <summary>How long a child may take before it is reported as hung.</summary>
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The parent: checks the limits, runs each configuration in a child, prints a table.</summary>
    public static int Run(int count)
    {
        Count = count;
        Console.WriteLine($"parked-unit memory at {Count:N0} units, {Environment.ProcessorCount} CPUs, .NET {Environment.Version}");
        Console.WriteLine($"  kernel.threads-max = {ReadProc("/proc/sys/kernel/threads-max")}, vm.max_map_count = {ReadProc("/proc/sys/vm/max_map_count")}");
        Console.WriteLine();
        (string Kind, int Stack, string Label)[] configs =
        [
            ("fiber", 256 * 1024, "Fiber, StackSizeBytes 256 KiB (default)"),
            ("fiber", 64 * 1024, "Fiber, StackSizeBytes 64 KiB"),
            ("thread", 256 * 1024, "plain Thread, 256 KiB, ManualResetEventSlim"),
            ("thread", 64 * 1024, "plain Thread, 64 KiB, ManualResetEventSlim"),
            ("async", 0, "async method awaiting a TaskCompletionSource"),
        ];
        Console.WriteLine($"| {"what is parked",-46} | {"RSS/unit",10} | {"KernelStack/unit",16} | {"maps added",10} | {"park time",9} |");
        Console.WriteLine($"| {new string('-', 46)} | {new string('-', 9)}: | {new string('-', 15)}: | {new string('-', 9)}: | {new string('-', 8)}: |");
        foreach ((string kind, int stack, string label) in configs)
        {
            string[] r = RunChild(kind, stack);
            if (r[0] == "hung")
            {
                Console.WriteLine($"| {label,-46} | {"HUNG",10} | {"-",16} | {"-",10} | > {ChildTimeout.TotalSeconds:0} s |");
                continue;
            }
            long rss = long.Parse(r[0], CultureInfo.InvariantCulture), kstack = long.Parse(r[1], CultureInfo.InvariantCulture);
            long maps = long.Parse(r[2], CultureInfo.InvariantCulture);
            double ms = double.Parse(r[3], CultureInfo.InvariantCulture);
            Console.WriteLine($"| {label,-46} | {Kib(rss),10} | {Kib(kstack),16} | {maps,10:N0} | {ms,6:0} ms |");
        }
        return 0;
    }

    private static string Kib(long bytes) => $"{bytes / (double)Count / 1024:0.0} KiB";

    private static string[] RunChild(string kind, int stack)
    {
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, UseShellExecute = false };
        string self = Environment.ProcessPath!;
        psi.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")   // launched as `dotnet x.dll`
            psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (string a in (string[])["--memory-one", kind, stack.ToString(CultureInfo.InvariantCulture), Count.ToString(CultureInfo.InvariantCulture)])
            psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> read = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(ChildTimeout))
        {
            p.Kill();
            p.WaitForExit();
            return ["hung", "hung", "hung", "hung"];
        }
        string output = read.Result;
        string? line = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (p.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"--memory-one {kind} {stack} failed (exit {p.ExitCode}): {output}");
        return line["RESULT ".Length..].Trim().Split(' ');
    }

    /// <summary>The child: parks <see cref="Count"/> units of one kind and prints "RESULT rss kstack maps ms".</summary>
    public static int RunOne(string kind, int stack, int count)
    {
        Count = count;
        (long Rss, long KStack, long Maps) before = default, after = default;
        var watch = new Stopwatch();
        switch (kind)
        {
            case "fiber":
                Fiber.Run(() =>
                {
                    var release = new FiberEvent();
                    before = Sample();
                    watch.Start();
                    Fiber[] fibers = ParkedFibers.SpawnParked(Count, release);
                    watch.Stop();
                    after = Sample();
                    release.Set();
                    foreach (Fiber f in fibers)
                        f.Join();
                }, new FiberOptions { StackSizeBytes = stack });
                break;
            case "thread":
            {
                using var release = new ManualResetEventSlim();
                using var allParked = new CountdownEvent(Count);
                var threads = new Thread[Count];
                before = Sample();
                watch.Start();
                for (int i = 0; i < Count; i++)
                {
                    threads[i] = new Thread(() =>
                    {
                        allParked.Signal();
                        release.Wait();
                    }, stack) { IsBackground = true };
                    threads[i].Start();
                }
                allParked.Wait();
                watch.Stop();
                after = Sample();
                release.Set();
                foreach (Thread t in threads)
                    t.Join();
                break;
            }
            case "async":
            {
                var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var tasks = new Task[Count];
                before = Sample();
                watch.Start();
                for (int i = 0; i < Count; i++)
                    tasks[i] = Park(release.Task);
                watch.Stop();
                after = Sample();
                release.SetResult();
                Task.WaitAll(tasks);
                break;
            }
            default:
                throw new ArgumentException($"unknown kind '{kind}'");
        }
        Console.WriteLine(FormattableString.Invariant(
            $"RESULT {after.Rss - before.Rss} {after.KStack - before.KStack} {after.Maps - before.Maps} {watch.Elapsed.TotalMilliseconds:0.0}"));
        return 0;
    }

    private static async Task Park(Task release) => await release.ConfigureAwait(false);

    private static (long Rss, long KStack, long Maps) Sample()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return (KbField("/proc/self/status", "VmRSS:") * 1024, KbField("/proc/meminfo", "KernelStack:") * 1024,
                File.ReadLines("/proc/self/maps").LongCount());
    }

    private static long KbField(string file, string field)
    {
        string line = File.ReadLines(file).First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static string ReadProc(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "?";
}

// Unmodified blocking C libraries, many calls at once: libcurl GETs and libpq sessions on native fibers of
// one kernel thread, against one OS thread per call, and (libcurl) against the library's own non-blocking
// interface (curl multi, one thread). Each case runs in a child process of its own, so its peak RSS and
// thread count are its own; the HTTP server runs in yet another process (the curl-many example's --serve),
// PostgreSQL in its own. Reported: wall time, CPU time (user + system, of the client process, over the
// case), peak RSS (VmHWM of the client process, .NET runtime included) and the most OS threads it had.
// Not BenchmarkDotNet: one case is one burst of 1,000 concurrent calls, not a per-call latency.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Thredo.Examples.CLibraries;
using Thredo.Native;

namespace Thredo.Benchmarks.NativeFibers;

/// <summary>The <c>--c-libraries</c> mode.</summary>
internal static unsafe class CLibraryBenchmarks
{
    private const int CurlDelayMs = 200;

    /// <summary>
    /// <c>--c-libraries [--requests 1000] [--sessions 200] [--runs 3]</c>, or (internal) <c>--c-libraries-one CASE ARG COUNT</c>.
    /// </summary>
    internal static int Run(string[] args)
    {
        if (args is ["--c-libraries-one", string name, string target, string count])
            return RunCase(name, target, int.Parse(count, CultureInfo.InvariantCulture));
        int requests = 1000, sessions = 200, runs = 3;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--requests": requests = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--sessions": sessions = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"--c-libraries: unknown option '{args[i]}' (use --requests N, --sessions N, --runs N)");
                    return 2;
            }
        }
        Console.WriteLine($"| case | wall s | CPU s | peak RSS MiB | threads (peak) |");
        Console.WriteLine($"|---|---:|---:|---:|---:|");
        using (HttpServerProcess http = HttpServerProcess.Start(ExamplesAssembly()))
        {
            string url = $"http://127.0.0.1:{http.Port}/delay/{CurlDelayMs}/id/";
            foreach (string c in (string[])["curl-native-fibers", "curl-threads", "curl-multi"])
                Report($"{requests} libcurl GETs ({CurlDelayMs} ms server delay), {Describe(c)}", c, url, requests, runs);
        }
        using (PostgresServer pg = PostgresServer.Start(maxConnections: sessions + 10))
        {
            foreach (string c in (string[])["pq-native-fibers", "pq-threads"])
                Report($"{sessions} libpq sessions (connect, pg_sleep(0.2), finish), {Describe(c)}", c, pg.ConnectionString, sessions, runs);
        }
        return 0;
    }

    private static string Describe(string c) => c switch
    {
        "curl-native-fibers" or "pq-native-fibers" => "native fibers, one kernel thread",
        "curl-threads" or "pq-threads" => "one OS thread per call",
        _ => "curl multi, one thread",
    };

    /// <summary>Runs a case <paramref name="runs"/> times in fresh processes; prints the median run (by wall time).</summary>
    private static void Report(string label, string name, string target, int count, int runs)
    {
        var results = new List<double[]>();
        for (int r = 0; r < runs; r++)
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
                start.ArgumentList.Add(typeof(CLibraryBenchmarks).Assembly.Location);
            foreach (string a in (string[])["--c-libraries-one", name, target, count.ToString(CultureInfo.InvariantCulture)])
                start.ArgumentList.Add(a);
            using Process p = Process.Start(start)!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith("result ", StringComparison.Ordinal));
            if (p.ExitCode != 0 || line is null)
            {
                Console.WriteLine($"| {label} | failed (exit {p.ExitCode}) | | | |");
                Console.Error.WriteLine(output);
                return;
            }
            results.Add([.. line.Split(' ').Skip(1).Select(v => double.Parse(v, CultureInfo.InvariantCulture))]);
        }
        double[] median = results.OrderBy(v => v[0]).ElementAt(results.Count / 2);
        Console.WriteLine($"| {label} | {median[0]:F2} | {median[1]:F2} | {median[2]:F0} | {median[3]:F0} |");
    }

    /// <summary>One case in this (child) process: prints <c>result wall cpu rssMiB threads</c>.</summary>
    private static int RunCase(string name, string target, int count)
    {
        using var sampler = new ThreadSampler();
        TimeSpan cpu0 = ProcessStats.CpuTime;
        var wall = Stopwatch.StartNew();
        int failures = name switch
        {
            "curl-native-fibers" => CurlOnNativeFibers(target, count),
            "curl-threads" => CurlOnThreads(target, count),
            "curl-multi" => CurlMulti(target, count),
            "pq-native-fibers" => PqOnNativeFibers(target, count),
            "pq-threads" => PqOnThreads(target, count),
            _ => throw new ArgumentException($"no case '{name}'"),
        };
        wall.Stop();
        TimeSpan cpu = ProcessStats.CpuTime - cpu0;
        if (failures != 0)
        {
            Console.Error.WriteLine($"{name}: {failures} of {count} calls failed");
            return 1;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"result {wall.Elapsed.TotalSeconds} {cpu.TotalSeconds} {ProcessStats.PeakRssBytes / (1024.0 * 1024)} {sampler.Peak}"));
        return 0;
    }

    private static bool Good(LibCurl.Transfer t, int code, int id) =>
        code == LibCurl.CURLE_OK && t.ResponseCode == 200 && t.Body() == $"hello {id}";

    private static int CurlOnNativeFibers(string url, int count)
    {
        LibCurl curl = LibCurl.Instance;
        return Fiber.Run(() =>
        {
            var transfers = Enumerable.Range(0, count).Select(i => curl.NewTransfer(url + i)).ToList();
            var calls = transfers.Select(t => NativeFiber.Call(curl.EasyPerform, t.Easy)).ToList();
            int bad = Enumerable.Range(0, count).Count(i => !Good(transfers[i], (int)calls[i].Join(), i));
            transfers.ForEach(t => t.Dispose());
            return bad;
        }, new FiberOptions { Schedulers = 1 });
    }

    private static int CurlOnThreads(string url, int count)
    {
        LibCurl curl = LibCurl.Instance;
        var transfers = Enumerable.Range(0, count).Select(i => curl.NewTransfer(url + i)).ToList();
        var codes = new int[count];
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() => codes[i] = curl.PerformOnThisThread(transfers[i]), 256 * 1024)).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        int bad = Enumerable.Range(0, count).Count(i => !Good(transfers[i], codes[i], i));
        transfers.ForEach(t => t.Dispose());
        return bad;
    }

    /// <summary>libcurl's own event loop: every transfer on one multi handle, driven by this thread.</summary>
    private static int CurlMulti(string url, int count)
    {
        LibCurl curl = LibCurl.Instance;
        IntPtr lib = curl.Handle;
        var init = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(lib, "curl_multi_init");
        var add = (delegate* unmanaged<IntPtr, IntPtr, int>)NativeLibrary.GetExport(lib, "curl_multi_add_handle");
        var remove = (delegate* unmanaged<IntPtr, IntPtr, int>)NativeLibrary.GetExport(lib, "curl_multi_remove_handle");
        var perform = (delegate* unmanaged<IntPtr, int*, int>)NativeLibrary.GetExport(lib, "curl_multi_perform");
        var poll = (delegate* unmanaged<IntPtr, IntPtr, uint, int, int*, int>)NativeLibrary.GetExport(lib, "curl_multi_poll");
        var infoRead = (delegate* unmanaged<IntPtr, int*, IntPtr>)NativeLibrary.GetExport(lib, "curl_multi_info_read");
        var cleanup = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(lib, "curl_multi_cleanup");
        IntPtr multi = init();
        var transfers = Enumerable.Range(0, count).Select(i => curl.NewTransfer(url + i)).ToList();
        var index = transfers.Select((t, i) => (t.Easy, i)).ToDictionary(p => p.Easy, p => p.i);
        var codes = new int[count];
        foreach (LibCurl.Transfer t in transfers)
            add(multi, t.Easy);
        int running = count;
        while (running > 0)
        {
            perform(multi, &running);
            int queued;
            IntPtr msg;
            // CURLMsg: int msg (1 = DONE), then CURL *easy_handle at 8, then the CURLcode result at 16.
            while ((msg = infoRead(multi, &queued)) != IntPtr.Zero)
                if (*(int*)msg == 1)
                    codes[index[*(IntPtr*)(msg + 8)]] = *(int*)(msg + 16);
            if (running > 0)
                poll(multi, IntPtr.Zero, 0, 1000, null);
        }
        foreach (LibCurl.Transfer t in transfers)
            remove(multi, t.Easy);
        cleanup(multi);
        int bad = Enumerable.Range(0, count).Count(i => !Good(transfers[i], codes[i], i));
        transfers.ForEach(t => t.Dispose());
        return bad;
    }

    private static int PqOnNativeFibers(string connectionString, int count)
    {
        LibPq pq = LibPq.Instance;
        return Fiber.Run(() =>
        {
            List<LibPq.Session> all = pq.ConnectAll(connectionString, count);
            List<string[]>[] rows = LibPq.QueryAll(all, _ => "SELECT pg_sleep(0.2)");
            all.ForEach(s => s.Dispose());
            return rows.Count(r => r.Count != 1);
        }, new FiberOptions { Schedulers = 1 });
    }

    private static int PqOnThreads(string connectionString, int count)
    {
        LibPq pq = LibPq.Instance;
        int bad = 0;
        var threads = Enumerable.Range(0, count).Select(_ => new Thread(() =>
        {
            try
            {
                using LibPq.Session s = pq.Connect(connectionString, onNativeFiber: false);
                if (s.Query("SELECT pg_sleep(0.2)").Count != 1)
                    Interlocked.Increment(ref bad);
            }
            catch (InvalidOperationException)
            {
                Interlocked.Increment(ref bad);
            }
        }, 256 * 1024)).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return bad;
    }

    /// <summary>Thredo.Examples.dll (its curl-many --serve is the HTTP server), found from the repository root.</summary>
    private static string ExamplesAssembly()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (!File.Exists(Path.Combine(d.FullName, "Thredo.sln")))
                continue;
            string dll = Path.Combine(d.FullName, "examples", "Thredo.Examples", "bin", "Release", "net10.0", "Thredo.Examples.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the examples first (./build.sh): {dll} is missing.");
        }
        throw new DirectoryNotFoundException("The repository root (Thredo.sln) was not found above the benchmark's directory.");
    }

    /// <summary>Samples the process's thread count every 5 ms; <see cref="Peak"/> is the most seen.</summary>
    private sealed class ThreadSampler : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        public ThreadSampler()
        {
            Peak = ProcessStats.Threads + 1;
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    Peak = Math.Max(Peak, ProcessStats.Threads);
                    Thread.Sleep(5);
                }
            }) { IsBackground = true, Name = "thread sampler" };
            _thread.Start();
        }

        public int Peak { get; private set; }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}

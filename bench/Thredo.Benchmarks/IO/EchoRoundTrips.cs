// Echo round trips per second on loopback: Thredo (FiberServer + FiberSocket clients on fibers) against
// an async/await Socket echo server with async clients, in one process and one run, so the ratio is
// measured under the same machine noise.
//
// Not BenchmarkDotNet: a case is a steady-state window of a few seconds over many connections, and
// what matters is throughput under load, not per-call latency. Each case is repeated (Thredo and async
// alternating, the order flipped every repetition) and the median is reported.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Thredo.IO;

namespace Thredo.Benchmarks.IO;

/// <summary>The <c>--echo</c> mode of the benchmark program.</summary>
internal static class EchoRoundTrips
{
    private const int DefaultMessage = 64;

    /// <summary>
    /// <c>--echo [--conns 1,100,1000] [--seconds 3] [--runs 3] [--size 64] [--schedulers 1] [--only thredo|async]</c>
    /// </summary>
    internal static int Run(string[] args)
    {
        int[] conns = [1, 100, 1000];
        double seconds = 3;
        int runs = 3, size = DefaultMessage, schedulers = 1;
        string? only = null;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--conns": conns = [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--size": size = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--schedulers": schedulers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--only": only = args[++i]; break;
                default:
                    Console.Error.WriteLine($"--echo: unknown option '{args[i]}' (--conns 1,100,1000 --seconds 3 --runs 3 --size 64 --schedulers 1 --only thredo|async)");
                    return 2;
            }
        }
        Console.WriteLine($"echo round trips: {size}-byte messages, {seconds} s window (after 0.5 s warm-up), {runs} run(s) per case, " +
                          $"Thredo schedulers={schedulers}, {Environment.ProcessorCount} CPU(s), .NET {Environment.Version}");
        Console.WriteLine(LoadAverage("before"));
        var rows = new List<(int Conns, double[] Thredo, double[] Async)>();
        foreach (int n in conns)
        {
            var thredo = new List<double>();
            var async = new List<double>();
            for (int r = 0; r < runs; r++)
            {
                bool thredoFirst = r % 2 == 0;
                for (int k = 0; k < 2; k++)
                {
                    bool doThredo = (k == 0) == thredoFirst;
                    if (doThredo && only is null or "thredo")
                    {
                        double rate = RunThredo(n, size, seconds, schedulers);
                        thredo.Add(rate);
                        Console.WriteLine($"  conns={n,5} run {r + 1}: thredo {rate,12:N0} rt/s");
                    }
                    else if (!doThredo && only is null or "async")
                    {
                        double rate = RunAsync(n, size, seconds);
                        async.Add(rate);
                        Console.WriteLine($"  conns={n,5} run {r + 1}: async  {rate,12:N0} rt/s");
                    }
                }
            }
            rows.Add((n, [.. thredo], [.. async]));
        }

        Console.WriteLine(LoadAverage("after"));
        Console.WriteLine();
        Console.WriteLine("| connections | Thredo rt/s (median) | async/await rt/s (median) | Thredo / async | Thredo runs | async runs |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | --- | --- |");
        foreach ((int n, double[] t, double[] a) in rows)
        {
            string ratio = t.Length > 0 && a.Length > 0 ? (Median(t) / Median(a)).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";
            Console.WriteLine($"| {n:N0} | {Fmt(Median(t))} | {Fmt(Median(a))} | {ratio} | {string.Join(", ", t.Select(Fmt))} | {string.Join(", ", a.Select(Fmt))} |");
        }
        return 0;
    }

    /// <summary>Other processes share the CPUs; the load average says how much (Linux only).</summary>
    private static string LoadAverage(string when) =>
        File.Exists("/proc/loadavg") ? $"load average {when}: {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}" : "";

    private static string Fmt(double v) => double.IsNaN(v) ? "-" : v.ToString("N0", CultureInfo.InvariantCulture);

    private static double Median(double[] xs)
    {
        if (xs.Length == 0)
            return double.NaN;
        double[] s = [.. xs.Order()];
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>
    /// Counts round trips of every client in <paramref name="counts"/> between a start and an end
    /// snapshot, so connection set-up and tear-down are outside the window.
    /// </summary>
    private sealed class Window(int clients)
    {
        internal readonly long[] Counts = new long[clients * 8];   // one cache line per client
        internal int Connected;
        internal volatile bool Stop;

        internal long Sum()
        {
            long s = 0;
            for (int i = 0; i < Counts.Length; i += 8)
                s += Volatile.Read(ref Counts[i]);
            return s;
        }
    }

    // ---- Thredo -----------------------------------------------------------------------------

    private static double RunThredo(int clients, int size, double seconds, int schedulers)
    {
        var w = new Window(clients);
        return Fiber.Run(() =>
        {
            FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0), backlog: 4096);
            var endpoint = (IPEndPoint)listener.LocalEndPoint!;
            Fiber server = Fiber.Spawn(() => FiberServer.ServeTcp(listener, static (c, _) => ServeThredo(c)), "echo server");
            double rate;
            using (var group = new FiberGroup())
            {
                for (int i = 0; i < clients; i++)
                {
                    int slot = i * 8;
                    group.Spawn(() => ClientThredo(endpoint, size, w, slot), $"client {i}");
                }
                rate = Measure(w, clients, seconds, Fiber.Sleep);
            }   // joins the clients, which stop after the window
            server.Cancel();
            return rate;
        }, new FiberOptions { Schedulers = schedulers, StackSizeBytes = 128 * 1024 });
    }

    private static void ServeThredo(FiberSocket client)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = client.Receive(buffer)) > 0)
                client.SendAll(buffer.AsSpan(0, n));
        }
        catch (SocketException)
        {
        }
    }

    private static void ClientThredo(IPEndPoint endpoint, int size, Window w, int slot)
    {
        using FiberSocket c = FiberSocket.ConnectTcp(endpoint);
        c.Socket.NoDelay = true;
        var message = new byte[size];
        var reply = new byte[size];
        Interlocked.Increment(ref w.Connected);
        long count = 0;
        while (!w.Stop)
        {
            c.SendAll(message);
            c.ReceiveExactly(reply);
            Volatile.Write(ref w.Counts[slot], ++count);
        }
        c.Shutdown(SocketShutdown.Send);
    }

    // ---- async/await ------------------------------------------------------------------------

    private static double RunAsync(int clients, int size, double seconds)
    {
        var w = new Window(clients);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4096);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        var serving = new List<Task>();
        Task accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    Socket s = await listener.AcceptAsync().ConfigureAwait(false);
                    s.NoDelay = true;
                    lock (serving)
                        serving.Add(ServeAsync(s));
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        });
        var tasks = new Task[clients];
        for (int i = 0; i < clients; i++)
        {
            int slot = i * 8;
            tasks[i] = Task.Run(() => ClientAsync(endpoint, size, w, slot));
        }
        double rate = Measure(w, clients, seconds, Thread.Sleep);
        Task.WaitAll(tasks);
        listener.Close();
        accepting.Wait();
        lock (serving)
            Task.WaitAll([.. serving]);
        return rate;
    }

    private static async Task ServeAsync(Socket s)
    {
        using (s)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                int n;
                while ((n = await s.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false)) > 0)
                {
                    int sent = 0;
                    while (sent < n)
                        sent += await s.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None).ConfigureAwait(false);
                }
            }
            catch (SocketException)
            {
            }
        }
    }

    private static async Task ClientAsync(IPEndPoint endpoint, int size, Window w, int slot)
    {
        using var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await c.ConnectAsync(endpoint).ConfigureAwait(false);
        var message = new byte[size];
        var reply = new byte[size];
        Interlocked.Increment(ref w.Connected);
        long count = 0;
        while (!w.Stop)
        {
            int sent = 0;
            while (sent < size)
                sent += await c.SendAsync(message.AsMemory(sent), SocketFlags.None).ConfigureAwait(false);
            int got = 0;
            while (got < size)
            {
                int n = await c.ReceiveAsync(reply.AsMemory(got), SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                    throw new EndOfStreamException("echo server closed the connection");
                got += n;
            }
            Volatile.Write(ref w.Counts[slot], ++count);
        }
        c.Shutdown(SocketShutdown.Send);
    }

    // ---- The window ---------------------------------------------------------------------------

    /// <summary>Waits for every client to connect, warms up 0.5 s, then counts round trips over <paramref name="seconds"/>.</summary>
    private static double Measure(Window w, int clients, double seconds, Action<TimeSpan> sleep)
    {
        var connectDeadline = Stopwatch.StartNew();
        while (Volatile.Read(ref w.Connected) < clients)
        {
            if (connectDeadline.Elapsed > TimeSpan.FromSeconds(60))
                throw new TimeoutException($"only {w.Connected} of {clients} clients connected within 60 s");
            sleep(TimeSpan.FromMilliseconds(10));
        }
        sleep(TimeSpan.FromMilliseconds(500));
        long start = w.Sum();
        var sw = Stopwatch.StartNew();
        sleep(TimeSpan.FromSeconds(seconds));
        long end = w.Sum();
        double elapsed = sw.Elapsed.TotalSeconds;
        w.Stop = true;
        return (end - start) / elapsed;
    }
}

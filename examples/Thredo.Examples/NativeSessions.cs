using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Thredo.IO;
using Thredo.Native;

namespace Thredo.Examples;

/// <summary>
/// A blocking-style C library (examples/native/lineproto.c: connect, send a line, read the reply)
/// run as 10,000 concurrent native fibers on one OS thread, against a Thredo echo server on
/// loopback (the `echo` example, run as a child process). <c>--threads</c> runs the same C library with one OS thread per session instead, for
/// comparison.
/// </summary>
internal sealed class NativeSessions : Example
{
    public override string Name => "native-sessions";

    public override string Description => "10,000 sessions of a blocking C library as native fibers; --sessions N, --requests N, --threads";

    public override int Order => 50;

    [StructLayout(LayoutKind.Sequential)]
    private struct LineprotoArgs
    {
        public uint Ip;
        public ushort Port;
        public ushort Reserved;
        public int Requests;
        public int Id;
    }

    public override int Run(string[] args)
    {
        int sessions = 10_000, requests = 5;
        bool threads = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--sessions": sessions = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--requests": requests = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": threads = true; break;
                default:
                    Console.Error.WriteLine($"native-sessions: unknown option '{args[i]}' (use --sessions N, --requests N, --threads)");
                    return 2;
            }
        }
        IntPtr library = LoadLineproto();
        return Fiber.Run(() =>
        {
            // Both ends of 10,000 connections would need 20,000 descriptors, the usual per-process
            // limit: the Thredo echo server (the `echo` example) runs as a child process.
            using FiberChildProcess server = StartEchoServer(out int port);
            // The server logs each client: keep reading, or its stdout pipe fills and it stalls.
            Fiber drain = Fiber.Spawn(() => { while (server.ReadLine() is not null) { } }, "echo server output");
            Console.WriteLine($"echo server (child process {server.Id}) on 127.0.0.1:{port}; {sessions} sessions x {requests} requests, " +
                              (threads ? "one OS thread per session (blocking C calls)" : "native fibers on one OS thread"));
            var sw = Stopwatch.StartNew();
            long good = threads
                ? Fiber.RunBlocking(() => RunOnThreads(library, port, sessions, requests))
                : RunOnNativeFibers(library, port, sessions, requests);
            sw.Stop();
            server.Terminate();
            server.WaitForExit();
            drain.Join();
            Console.WriteLine($"{good} of {(long)sessions * requests} replies good in {sw.Elapsed.TotalSeconds:F2} s " +
                              $"({(long)sessions * requests / sw.Elapsed.TotalSeconds:F0} round trips/s)");
            return good == (long)sessions * requests ? 0 : 1;
        });
    }

    /// <summary>Starts this program's `echo` example on a free port and reads the port it reports.</summary>
    private static FiberChildProcess StartEchoServer(out int port)
    {
        string host = Environment.ProcessPath!;
        string[] prefix = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [typeof(NativeSessions).Assembly.Location] : [];
        FiberChildProcess server = FiberProcess.Start(host, [.. prefix, "echo", "--port", "0"]);
        const string Listening = "echo: listening on 127.0.0.1:";
        while (server.ReadLine() is string line)
        {
            if (line.StartsWith(Listening, StringComparison.Ordinal))
            {
                port = int.Parse(line.AsSpan(Listening.Length).TrimEnd(), CultureInfo.InvariantCulture);
                return server;
            }
        }
        server.Dispose();
        throw new InvalidOperationException("The echo server child process ended before it reported its port.");
    }

    private static unsafe long RunOnNativeFibers(IntPtr library, int port, int sessions, int requests)
    {
        nint entry = NativeLibrary.GetExport(library, "lineproto_session");
        // The C code reads its arguments from native memory: nothing managed is touched on its stack.
        var argv = (LineprotoArgs*)NativeMemory.Alloc((nuint)sessions, (nuint)sizeof(LineprotoArgs));
        try
        {
            var fibers = new Fiber<long>[sessions];
            for (int i = 0; i < sessions; i++)
            {
                argv[i] = Args(port, requests, i);
                fibers[i] = NativeFiber.Spawn(entry, (nint)(&argv[i]), 32 * 1024);
            }
            return Sum(fibers.Select(f => f.Join()));
        }
        finally
        {
            NativeMemory.Free(argv);
        }
    }

    private static unsafe long RunOnThreads(IntPtr library, int port, int sessions, int requests)
    {
        var session = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(library, "lineproto_session_blocking");
        var results = new long[sessions];
        var workers = new Thread[sessions];
        for (int i = 0; i < sessions; i++)
        {
            int id = i;
            workers[i] = new Thread(() =>
            {
                LineprotoArgs a = Args(port, requests, id);
                results[id] = session((nint)(&a));
            }, 64 * 1024);
            workers[i].Start();
        }
        foreach (Thread t in workers)
            t.Join();
        return Sum(results);
    }

    private static LineprotoArgs Args(int port, int requests, int id) => new()
    {
        Ip = BitConverter.ToUInt32(IPAddress.Loopback.GetAddressBytes()),   // network byte order
        Port = (ushort)port,
        Requests = requests,
        Id = id,
    };

    /// <summary>Sums good replies; a negative result (an errno) counts as none, and is reported once.</summary>
    private static long Sum(IEnumerable<long> results)
    {
        long good = 0, failed = 0, firstError = 0;
        foreach (long r in results)
        {
            if (r >= 0) good += r;
            else { failed++; firstError = firstError == 0 ? r : firstError; }
        }
        if (failed > 0)
            Console.Error.WriteLine($"{failed} session(s) failed; the first with errno {-firstError}.");
        return good;
    }

    private static IntPtr LoadLineproto()
    {
        // thredo_native first (any Fiber.Run loads it), so lineproto binds to that copy.
        Fiber.Run(() => { });
        string path = Path.Combine(AppContext.BaseDirectory, "liblineproto.so");
        return NativeLibrary.TryLoad(path, out IntPtr handle) ? handle : throw new DllNotFoundException(
            $"The example C library was not found at '{path}'. Build it with ./build.sh (CMake target thredo_lineproto in examples/native).");
    }
}

using System.Diagnostics;
using System.Globalization;
using Thredo.Examples.CLibraries;
using Thredo.Native;

namespace Thredo.Examples;

/// <summary>
/// Unmodified libcurl, 1,000 blocking <c>curl_easy_perform</c> calls at once on one kernel thread: the library
/// is loaded with <see cref="NativeFiber.LoadLibrary"/> (its <c>poll</c>/<c>recv</c>/<c>connect</c> now suspend
/// the calling native fiber) and each call runs with <see cref="NativeFiber.Call"/>. A local
/// <see cref="DelayedHttpServer"/> answers each request after a delay, so the calls overlap only if none of
/// them blocks the thread. The server runs in a child process (this program with <c>--serve</c>), so the
/// thread count printed is the client's alone.
/// </summary>
internal sealed class CurlManyExample : Example
{
    public override string Name => "curl-many";

    public override string Description => "1,000 concurrent curl_easy_perform on one kernel thread (libcurl unmodified); --requests N, --delay-ms N";

    public override int Order => 55;

    public override int Run(string[] args)
    {
        if (args is ["--serve"])
            return HttpServerProcess.Serve();
        int requests = 1000, delayMs = 500;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--requests": requests = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--delay-ms": delayMs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"curl-many: unknown option '{args[i]}' (use --requests N, --delay-ms N)");
                    return 2;
            }
        }
        LibCurl curl;
        try
        {
            curl = LibCurl.Instance;
        }
        catch (DllNotFoundException e)
        {
            Console.Error.WriteLine($"curl-many: {e.Message} (Debian: apt-get install libcurl4)");
            return 1;
        }
        string self = typeof(CurlManyExample).Assembly.Location;
        using var server = HttpServerProcess.Start(self);
        return Fiber.Run(() =>
        {
            Console.WriteLine($"curl-many: server (child process) on 127.0.0.1:{server.Port} answers after {delayMs} ms; {requests} transfers on one kernel thread");
            var transfers = Enumerable.Range(0, requests).Select(i => curl.NewTransfer(server.Url(delayMs, i))).ToList();
            int threadsBefore = ProcessStats.Threads;
            var clock = Stopwatch.StartNew();
            var calls = transfers.Select(t => NativeFiber.Call(curl.EasyPerform, t.Easy)).ToList();
            // Halfway through the server's delay every transfer is waiting on it: the threads they need.
            Fiber.Sleep(TimeSpan.FromMilliseconds(delayMs / 2));
            int threadsDuring = ProcessStats.Threads;
            int failures = 0;
            for (int i = 0; i < requests; i++)
            {
                int code = (int)calls[i].Join();
                if (code != LibCurl.CURLE_OK || transfers[i].ResponseCode != 200 || transfers[i].Body() != $"hello {i}")
                {
                    if (failures++ < 5)
                        Console.Error.WriteLine($"curl-many: transfer {i} failed: CURLcode {code}, HTTP {transfers[i].ResponseCode}");
                }
            }
            clock.Stop();
            transfers.ForEach(t => t.Dispose());
            double seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"curl-many: {requests - failures}/{requests} transfers OK in {seconds:F2} s ({requests / seconds:F0} requests/s; " +
                              $"one at a time would take {requests * delayMs / 1000.0:F0} s)");
            Console.WriteLine($"curl-many: OS threads in this process: {threadsBefore} before, {threadsDuring} while all {requests} transfers were in flight");
            return failures == 0 ? 0 : 1;
        }, new FiberOptions { Schedulers = 1 });
    }
}

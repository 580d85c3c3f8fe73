using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// A minimal HTTP/1.1 keep-alive server on <see cref="FiberServer"/>: <c>GET /</c> answers
/// <c>Hello, World!</c>, anything else 404. Fit for <c>wrk -t2 -c100 -d10s http://127.0.0.1:8080/</c>.
/// <c>--self-test</c> sends a few requests to itself and exits.
/// </summary>
internal sealed class HttpHelloExample : Example
{
    private static readonly byte[] Hello = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!");
    private static readonly byte[] HelloClose = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!");
    private static readonly byte[] NotFound = Encoding.ASCII.GetBytes(
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nNot found\n");
    private static readonly byte[] BadRequest = Encoding.ASCII.GetBytes(
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

    public override string Name => "http-hello";

    public override string Description => "HTTP/1.1 keep-alive 'Hello, World!' server for wrk; --port N (8080), --schedulers N (1), --no-foreign-watch, --self-test, --monitor";

    public override int Order => 20;

    public override int Run(string[] args)
    {
        int port = 8080;
        bool selfTest = false;
        bool monitor = false;   // --monitor: the live fiber table every few seconds (SIGQUIT prints it anyway)
        var options = new FiberOptions();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--port": port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--self-test": selfTest = true; break;
                case "--schedulers": options = options with { Schedulers = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
                case "--no-foreign-watch": options = options with { ForeignBlockHandoff = Timeout.InfiniteTimeSpan }; break;
                default:
                    Console.Error.WriteLine($"http-hello: unknown option '{args[i]}' (use --port N, --schedulers N, --no-foreign-watch, --self-test, --monitor)");
                    return 2;
            }
        }
        return Fiber.Run(() =>
        {
            FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, selfTest ? 0 : port), backlog: 4096);
            int bound = ((IPEndPoint)listener.LocalEndPoint!).Port;
            Fiber server = Fiber.Spawn(() => FiberServer.ServeTcp(listener, Serve), "http server");
            Console.WriteLine($"http-hello: listening on http://127.0.0.1:{bound}/");
            int status = 0;
            if (selfTest)
                status = SelfTest(bound);
            else
            {
                SnapshotMonitor.SpawnFiber(monitor);
                using var stop = new SignalEvent(PosixSignal.SIGINT, PosixSignal.SIGTERM);
                stop.Wait();
                Console.WriteLine();
            }
            server.Cancel();
            Console.WriteLine("http-hello: stopped");
            return status;
        }, options);
    }

    /// <summary>One connection: requests one after another until the client closes or asks to.</summary>
    private static void Serve(FiberSocket client, EndPoint remote)
    {
        FiberStream s = client.GetStream();
        try
        {
            while (s.ReadLine() is string requestLine)
            {
                if (requestLine.Length == 0)
                    continue;   // tolerate a stray CRLF between requests
                bool close = requestLine.EndsWith("HTTP/1.0", StringComparison.Ordinal);
                long contentLength = 0;
                string? header;
                while (!string.IsNullOrEmpty(header = s.ReadLine()))
                {
                    if (header.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase))
                        close = header.Contains("close", StringComparison.OrdinalIgnoreCase);
                    else if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)
                             && !long.TryParse(header.AsSpan(15).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out contentLength))
                    {
                        s.Write(BadRequest);
                        return;
                    }
                }
                if (header is null)
                    return;   // the client went away mid-request
                Skip(s, contentLength);
                string[] parts = requestLine.Split(' ');
                bool hello = parts.Length == 3 && parts[0] == "GET" && parts[1] == "/";
                s.Write(!hello ? NotFound : close ? HelloClose : Hello);
                if (close)
                    return;
            }
        }
        catch (IOException)
        {
            // the client reset the connection (wrk does at the end of a run): nothing to report
        }
        catch (SocketException)
        {
        }
    }

    private static void Skip(FiberStream s, long count)
    {
        Span<byte> sink = stackalloc byte[512];
        while (count > 0)
        {
            int n = s.Read(sink[..(int)Math.Min(count, sink.Length)]);
            if (n == 0)
                return;
            count -= n;
        }
    }

    /// <summary>Keep-alive requests on one connection, a 404, and a <c>Connection: close</c>.</summary>
    private static int SelfTest(int port)
    {
        using FiberSocket c = FiberSocket.ConnectTcp("127.0.0.1", port);
        FiberStream s = c.GetStream();
        int failures = 0;
        void Check(string request, string expectStatus, string? expectBody)
        {
            s.Write(Encoding.ASCII.GetBytes(request));
            string? status = s.ReadLine();
            int length = 0;
            string? h;
            while (!string.IsNullOrEmpty(h = s.ReadLine()))
                if (h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    length = int.Parse(h.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
            var body = new byte[length];
            s.ReadExactly(body);
            string text = Encoding.ASCII.GetString(body);
            bool ok = status == expectStatus && (expectBody is null || text == expectBody);
            if (!ok)
                failures++;
            Console.WriteLine($"self-test: {request.Split('\r')[0],-16} -> {status} '{text.TrimEnd()}' {(ok ? "ok" : "WRONG")}");
        }
        Check("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK", "Hello, World!");
        Check("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK", "Hello, World!");
        Check("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found", null);
        Check("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK", "Hello, World!");
        bool closed = s.ReadLine() is null;
        Console.WriteLine($"self-test: server closed after 'Connection: close': {closed}");
        if (!closed)
            failures++;
        Console.WriteLine(failures == 0 ? "self-test: OK" : $"self-test: {failures} failure(s)");
        return failures == 0 ? 0 : 1;
    }
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Thredo.Hosting;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// ASP.NET Core calling blocking-style code: <c>GET /fiber/{item}</c> runs a fiber with
/// <see cref="FiberHost.RunAsync{T}(Func{T}, CancellationToken)"/> that borrows a connection from a
/// <see cref="FiberQueue{T}"/> pool and asks a line-protocol backend over a <see cref="FiberSocket"/>;
/// the request's <c>RequestAborted</c> token cancels the fiber. <c>GET /async/{item}</c> does the
/// same with async/await, a <see cref="Channel{T}"/> pool and <see cref="Socket"/>, for comparison
/// under wrk. The backend is a <see cref="FiberServer"/> on the same host.
/// </summary>
internal sealed class AspNetBridgeExample : Example
{
    private const int PoolSize = 32;

    public override string Name => "aspnet-bridge";

    public override string Description => "ASP.NET Core endpoint calling fibers (/fiber/x) vs async/await (/async/x); --port N (5080), --self-test, --monitor";

    public override int Order => 61;

    public override int Run(string[] args)
    {
        int port = 5080;
        bool selfTest = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--port": port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--self-test": selfTest = true; break;
                case "--monitor": break;
                default:
                    Console.Error.WriteLine($"aspnet-bridge: unknown option '{args[i]}' (use --port N, --self-test, --monitor)");
                    return 2;
            }
        }
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls($"http://127.0.0.1:{(selfTest ? 0 : port)}");
        builder.Services.AddThredo();
        using WebApplication app = builder.Build();
        FiberHost fibers = app.Services.GetRequiredService<FiberHost>();

        // The backend: "GET item\n" -> "item=<stock>\n", a Thredo server on the same host.
        FiberSocket listener = fibers.RunAsync(() => FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0), backlog: 1024)).GetAwaiter().GetResult();
        var backend = (IPEndPoint)listener.LocalEndPoint!;
        fibers.Spawn(() => FiberServer.ServeTcp(listener, ServeBackend), "backend");

        var fiberPool = new FiberQueue<FiberConnection?>();
        for (int i = 0; i < PoolSize; i++)
            fiberPool.Put(null);   // empty slots: a connection is made on first use
        var asyncPool = Channel.CreateBounded<AsyncConnection?>(PoolSize);
        for (int i = 0; i < PoolSize; i++)
            asyncPool.Writer.TryWrite(null);

        // A CancellationToken parameter is bound to the request's RequestAborted.
        app.MapGet("/fiber/{item}", (string item, CancellationToken aborted) =>
            fibers.RunAsync(() => AskWithFiber(fiberPool, backend, item), aborted));
        app.MapGet("/async/{item}", (string item, CancellationToken aborted) => AskAsync(asyncPool, backend, item, aborted));
        app.MapGet("/slow", (CancellationToken aborted) => fibers.RunAsync(() => { Fiber.Sleep(TimeSpan.FromSeconds(30)); return "slept"; }, aborted));

        app.Start();
        string url = app.Urls.First();
        using var monitor = new SnapshotMonitor(fibers.Snapshot, SnapshotMonitor.Wanted(args));
        Console.WriteLine($"aspnet-bridge: listening on {url} (try {url}/fiber/apples and {url}/async/apples); backend on {backend}");
        int status = 0;
        if (selfTest)
            status = SelfTest(url, fibers).GetAwaiter().GetResult();
        else
            app.WaitForShutdown();
        app.StopAsync().GetAwaiter().GetResult();
        Console.WriteLine("aspnet-bridge: stopped");
        return status;
    }

    private static string AskWithFiber(FiberQueue<FiberConnection?> pool, IPEndPoint backend, string item)
    {
        FiberConnection? conn = pool.Get();
        bool healthy = false;
        try
        {
            conn ??= new FiberConnection(FiberSocket.ConnectTcp(backend.Address.ToString(), backend.Port));
            conn.Stream.Write(Encoding.ASCII.GetBytes($"GET {item}\n"));
            string answer = conn.Stream.ReadLine() ?? throw new IOException("the backend closed the connection");
            healthy = true;
            return answer;
        }
        finally
        {
            // Interrupted mid-exchange (cancelled, failed), the connection's state is unknown: drop it.
            if (!healthy)
            {
                conn?.Dispose();
                conn = null;
            }
            pool.Put(conn);
        }
    }

    private static async Task<string> AskAsync(Channel<AsyncConnection?> pool, IPEndPoint backend, string item, CancellationToken ct)
    {
        AsyncConnection? conn = await pool.Reader.ReadAsync(ct).ConfigureAwait(false);
        bool healthy = false;
        try
        {
            if (conn is null)
            {
                var socket = new Socket(backend.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(backend, ct).ConfigureAwait(false);
                conn = new AsyncConnection(socket);
            }
            await conn.Stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {item}\n"), ct).ConfigureAwait(false);
            string answer = await conn.Reader.ReadLineAsync(ct).ConfigureAwait(false) ?? throw new IOException("the backend closed the connection");
            healthy = true;
            return answer;
        }
        finally
        {
            if (!healthy)
            {
                conn?.Dispose();
                conn = null;
            }
            pool.Writer.TryWrite(conn);
        }
    }

    private static void ServeBackend(FiberSocket client, EndPoint remote)
    {
        FiberStream s = client.GetStream();
        while (s.ReadLine() is string line)
        {
            string item = line.StartsWith("GET ", StringComparison.Ordinal) ? line[4..] : "?";
            s.Write(Encoding.ASCII.GetBytes($"{item}={item.Length * 7}\n"));
        }
    }

    private static async Task<int> SelfTest(string url, FiberHost fibers)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        string viaFiber = await http.GetStringAsync(new Uri("/fiber/apples", UriKind.Relative)).ConfigureAwait(false);
        string viaAsync = await http.GetStringAsync(new Uri("/async/apples", UriKind.Relative)).ConfigureAwait(false);
        Console.WriteLine($"  /fiber/apples -> {viaFiber}");
        Console.WriteLine($"  /async/apples -> {viaAsync}");
        var many = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => http.GetStringAsync(new Uri($"/fiber/item{i}", UriKind.Relative)))).ConfigureAwait(false);
        bool allRight = many.Select((answer, i) => answer == $"item{i}={$"item{i}".Length * 7}").All(ok => ok);
        Console.WriteLine($"  200 concurrent /fiber requests: {(allRight ? "all answered correctly" : "WRONG ANSWERS")}");

        // A client that gives up: RequestAborted cancels the fiber sleeping in /slow.
        using (var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            try { await http.GetStringAsync(new Uri("/slow", UriKind.Relative), giveUp.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        int sleeping = int.MaxValue;
        for (int i = 0; i < 200 && sleeping > 0; i++)
        {
            await Task.Delay(10).ConfigureAwait(false);
            sleeping = fibers.Snapshot().Count(f => f.WaitingOn?.StartsWith("Sleep", StringComparison.Ordinal) == true);
        }
        Console.WriteLine($"  client gave up on /slow: {(sleeping == 0 ? "its fiber was cancelled" : "ITS FIBER IS STILL SLEEPING")}");
        return viaFiber == "apples=42" && viaAsync == "apples=42" && allRight && sleeping == 0 ? 0 : 1;
    }

    private sealed class FiberConnection(FiberSocket socket) : IDisposable
    {
        internal readonly FiberStream Stream = socket.GetStream();

        public void Dispose() => socket.Dispose();
    }

    private sealed class AsyncConnection : IDisposable
    {
        private readonly Socket _socket;
        internal readonly NetworkStream Stream;
        internal readonly StreamReader Reader;

        internal AsyncConnection(Socket socket)
        {
            _socket = socket;
            Stream = new NetworkStream(socket, ownsSocket: true);
            Reader = new StreamReader(Stream, Encoding.ASCII);
        }

        public void Dispose()
        {
            Reader.Dispose();
            _socket.Dispose();
        }
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using Thredo.IO;

namespace Thredo.Examples.CLibraries;

/// <summary>
/// A local HTTP/1.1 server on <see cref="FiberServer"/> for the libcurl examples and tests:
/// <c>GET /delay/{ms}/id/{n}</c> waits <c>ms</c> milliseconds, then answers <c>hello {n}</c> and closes;
/// <c>GET /gate/{count}/id/{n}</c> answers once <c>count</c> gate requests have arrived, so it completes
/// only if that many clients are in flight at once. Counts the requests in flight.
/// </summary>
internal sealed class DelayedHttpServer
{
    private readonly FiberSocket _listener;
    private readonly Fiber _server;
    private int _inFlight, _maxInFlight, _answered, _gateArrivals;

    private DelayedHttpServer()
    {
        _listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0), backlog: 4096);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _server = Fiber.Spawn(() => FiberServer.ServeTcp(_listener, Serve), "delayed http server");
    }

    /// <summary>Starts listening on 127.0.0.1 (a free port); from a fiber.</summary>
    public static DelayedHttpServer Start() => new();

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>The most requests it has held at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Responses written in full.</summary>
    public int Answered => Volatile.Read(ref _answered);

    /// <summary>Requests being served right now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The URL of a request answered after <paramref name="delayMs"/> with <c>hello {id}</c>.</summary>
    public string Url(int delayMs, int id) => $"http://127.0.0.1:{Port}/delay/{delayMs}/id/{id}";

    /// <summary>The URL of a request answered (<c>hello {id}</c>) once <paramref name="count"/> such requests have arrived.</summary>
    public string GateUrl(int count, int id) => $"http://127.0.0.1:{Port}/gate/{count}/id/{id}";

    /// <summary>Stops accepting (connections in progress are cancelled with the server fiber's group).</summary>
    public void Stop() => _server.Cancel();

    private void Serve(FiberSocket client, EndPoint remote)
    {
        try
        {
            Answer(client.GetStream());
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            // the client gave up (a cancelled or timed-out transfer): nothing to answer
        }
    }

    private void Answer(FiberStream s)
    {
        string? requestLine = s.ReadLine();
        while (!string.IsNullOrEmpty(s.ReadLine()))
        {
        }
        string[] parts = requestLine?.Split(' ') ?? [];
        string[] path = parts.Length == 3 ? parts[1].Split('/') : [];
        if (path is not ["", "delay" or "gate", var ms, "id", var id] || !int.TryParse(ms, CultureInfo.InvariantCulture, out int number))
        {
            s.Write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8);
            return;
        }
        int now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }
        try
        {
            if (path[1] == "gate")
            {
                // Polled, not signalled: a test's gate of a few hundred needs nothing finer.
                Interlocked.Increment(ref _gateArrivals);
                while (Volatile.Read(ref _gateArrivals) < number)
                    Fiber.Sleep(TimeSpan.FromMilliseconds(5));
            }
            else
                Fiber.Sleep(TimeSpan.FromMilliseconds(number));
            string body = $"hello {id}";
            s.Write(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
            Interlocked.Increment(ref _answered);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

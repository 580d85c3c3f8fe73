using System.Globalization;
using System.Net;
using System.Text;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// A loopback HTTP/1.1 keep-alive server for the HTTP client examples, so they run offline:
/// <c>/delay/N</c> answers after N ms, anything else at once, each with a short text body.
/// </summary>
internal sealed class LocalHttpServer : IDisposable
{
    private readonly Fiber _server;

    /// <summary>Listens on a free loopback port and serves from a fiber of the calling runtime.</summary>
    public LocalHttpServer()
    {
        FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _server = Fiber.Spawn(() => FiberServer.ServeTcp(listener, (client, _) => Serve(client)), "local http server");
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>The URL of <paramref name="path"/> on this server.</summary>
    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>Stops serving (cancels the server fiber and its clients).</summary>
    public void Dispose() => _server.Cancel();

    private static void Serve(FiberSocket client)
    {
        FiberStream s = client.GetStream();
        try
        {
            while (s.ReadLine() is string requestLine)
            {
                while (!string.IsNullOrEmpty(s.ReadLine()))
                {
                }
                string path = requestLine.Split(' ') is [_, string p, ..] ? p : "/";
                if (path.StartsWith("/delay/", StringComparison.Ordinal)
                    && int.TryParse(path.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out int ms))
                    Fiber.Sleep(TimeSpan.FromMilliseconds(ms));
                string body = $"Hello from Thredo: you asked for {path}\n";
                s.Write(Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
            }
        }
        catch (IOException)
        {
            // the client closed the connection mid-request (a cancelled request does): nothing to report
        }
    }
}

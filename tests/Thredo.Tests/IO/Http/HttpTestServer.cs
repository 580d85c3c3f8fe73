using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Thredo.IO;
using Thredo.Tests.IO.Sockets;

namespace Thredo.Tests.IO.Http;

/// <summary>
/// A small HTTP/1.1 keep-alive server on a <see cref="FiberServer"/> (plain or TLS), counting the
/// connections it accepted and those its clients closed. Paths:
/// <c>/hello</c> 200 "hello"; <c>/delay/N</c> sleeps N ms, then 200 "slept N";
/// <c>/echo</c> (POST) 200 with the body's length and byte sum; <c>/redirect</c> 302 to <c>/hello</c>; <c>/close</c> 200 "bye" then closes without saying so;
/// <c>/stall</c> answers nothing and waits for the client to close;
/// <c>/half/N</c> announces N bytes, sends half, then waits for the client to close.
/// </summary>
internal sealed class HttpTestServer : IDisposable
{
    private readonly Fiber _server;
    private readonly X509Certificate2? _certificate;
    private int _connections;
    private int _closedByClient;
    private int _halvesSent;

    /// <summary>Starts serving; the calling fiber must stay inside <see cref="Fiber.Run(Action, FiberOptions?)"/> until <see cref="Dispose"/>.</summary>
    public HttpTestServer(X509Certificate2? certificate = null)
    {
        _certificate = certificate;
        FiberSocket listener = Net.Listen();
        Port = listener.Port();
        _server = Fiber.Spawn(() => FiberServer.ServeTcp(listener, (client, _) => Serve(client)), "http test server");
    }

    public int Port { get; }

    /// <summary>For a client: trust exactly this server's certificate (the handler's remote certificate check).</summary>
    public void TrustIn(System.Net.Http.SocketsHttpHandler handler)
    {
        string expected = _certificate!.GetCertHashString();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == expected;
    }

    /// <summary>The URL of <paramref name="path"/> on this server.</summary>
    public Uri Url(string path) => new($"{(_certificate is null ? "http" : "https")}://localhost:{Port}{path}");

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Connections a <c>/stall</c> or <c>/half</c> request was waiting on when the client closed them.</summary>
    public int ClosedByClient => Volatile.Read(ref _closedByClient);

    /// <summary>How many <c>/half</c> answers got as far as sending their half body.</summary>
    public int HalvesSent => Volatile.Read(ref _halvesSent);

    /// <summary>A self-signed certificate for "localhost", made now.</summary>
    public static X509Certificate2 SelfSigned() => Tls.TestCertificates.SelfSignedLocalhost();

    private void Serve(FiberSocket client)
    {
        Interlocked.Increment(ref _connections);
        Stream stream = client.GetStream();
        try
        {
            if (_certificate is not null)
            {
                var tls = new SslStream(stream);
                tls.AuthenticateAsServer(_certificate);
                stream = tls;
            }
            var reader = new LineReader(stream);
            while (reader.ReadLine() is string requestLine)
            {
                int contentLength = 0;
                string? header;
                while (!string.IsNullOrEmpty(header = reader.ReadLine()))
                {
                    if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                        contentLength = int.Parse(header.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
                }
                byte[] body = reader.ReadExactly(contentLength);
                string path = requestLine.Split(' ')[1];
                if (!Answer(stream, path, body))
                    return;
            }
        }
        catch (IOException)
        {
        }
        finally
        {
            stream.Dispose();
        }
    }

    /// <summary>Answers one request; false if the connection is to end.</summary>
    private bool Answer(Stream stream, string path, byte[] body)
    {
        string[] parts = path.Split('/');
        switch (parts[1])
        {
            case "hello":
                Send(stream, "200 OK", "hello");
                return true;
            case "delay":
                Fiber.Sleep(TimeSpan.FromMilliseconds(int.Parse(parts[2], CultureInfo.InvariantCulture)));
                Send(stream, "200 OK", $"slept {parts[2]}");
                return true;
            case "echo":
                Send(stream, "200 OK", $"{body.Length} bytes, sum {body.Sum(b => (long)b)}");
                return true;
            case "redirect":
                stream.Write(Encoding.ASCII.GetBytes("HTTP/1.1 302 Found\r\nLocation: /hello\r\nContent-Length: 0\r\n\r\n"));
                return true;
            case "close":
                Send(stream, "200 OK", "bye");
                return false;
            case "stall":
                WaitForClose(stream);
                return false;
            case "half":
                int length = int.Parse(parts[2], CultureInfo.InvariantCulture);
                stream.Write(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n\r\n"));
                stream.Write(new byte[length / 2]);
                Interlocked.Increment(ref _halvesSent);
                WaitForClose(stream);
                return false;
            default:
                Send(stream, "404 Not Found", "");
                return true;
        }
    }

    private static void Send(Stream stream, string status, string body) =>
        stream.Write(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n{body}"));

    private void WaitForClose(Stream stream)
    {
        var sink = new byte[256];
        try
        {
            while (stream.Read(sink) > 0)
            {
            }
        }
        catch (IOException)
        {
        }
        Interlocked.Increment(ref _closedByClient);
    }

    public void Dispose()
    {
        _server.Cancel();
        _certificate?.Dispose();
    }

    /// <summary>Reads CRLF-terminated ASCII lines from any stream, buffering what it read past the line.</summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[4096];
        private int _start, _end;

        public byte[] ReadExactly(int count)
        {
            var bytes = new byte[count];
            for (int got = 0; got < count;)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = stream.Read(_buffer);
                    if (_end == 0)
                        throw new EndOfStreamException();
                }
                int n = Math.Min(count - got, _end - _start);
                Array.Copy(_buffer, _start, bytes, got, n);
                _start += n;
                got += n;
            }
            return bytes;
        }

        public string? ReadLine()
        {
            var line = new StringBuilder();
            while (true)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = stream.Read(_buffer);
                    if (_end == 0)
                        return line.Length > 0 ? line.ToString() : null;
                }
                byte b = _buffer[_start++];
                if (b == '\n')
                    return line.ToString().TrimEnd('\r');
                line.Append((char)b);
            }
        }
    }
}

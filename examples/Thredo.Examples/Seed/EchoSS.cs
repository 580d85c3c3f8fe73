using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// Port of the seed's <c>echoss.py</c> (socketserver with ThredoMixIn): <see cref="FiberServer.ServeTcp(FiberSocket, Action{FiberSocket, EndPoint})"/>
/// runs in a fiber of its own, main waits on a <see cref="SignalEvent"/> for SIGINT and then cancels it;
/// the server closes its listener and cancels every handler, which catches the cancellation as the seed does.
/// <c>--self-test</c> connects a client, echoes two lines, then sends SIGINT to this process itself.
/// </summary>
internal sealed class EchoSS : Example
{
    public override string Name => "echoss";

    public override string Description => "FiberServer stream echo; a SignalEvent(SIGINT) cancels the serve loop; --port N (25000), --self-test (<1 s; refuses to start if SIGINT is ignored)";

    public override int Order => 65;

    public override int Run(string[] args)
    {
        int? port = null;
        bool selfTest = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--port" when i + 1 < args.Length: port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--self-test": selfTest = true; break;
                default:
                    Console.Error.WriteLine($"echoss: unknown option '{args[i]}' (use --port N, --self-test)");
                    return 2;
            }
        }
        int listenPort = port ?? (selfTest ? 0 : 25000);

        return Fiber.Run(() =>
        {
            SignalEvent sigint;
            try
            {
                sigint = new SignalEvent(PosixSignal.SIGINT);   // from here on, Ctrl-C is ours
            }
            catch (InvalidOperationException e)
            {
                // SIGINT inherited as ignored (a job started with '&' by a non-interactive shell): no
                // Ctrl-C could ever stop the server, so say why and stop now.
                Console.Error.WriteLine($"echoss: {e.Message}");
                return 1;
            }
            using var stop = sigint;
            FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, listenPort));
            int bound = ((IPEndPoint)listener.LocalEndPoint!).Port;
            Fiber t = Fiber.Spawn(() => FiberServer.ServeTcp(listener, EchoStreamHandler), "serve_forever");
            Console.WriteLine($"echoss: serving on 127.0.0.1:{bound}; " + (selfTest ? "self-test client starting" : $"try `nc 127.0.0.1 {bound}`, Ctrl-C stops"));
            Fiber<bool>? client = selfTest ? Fiber.Spawn(() => SelfTest(bound), "self-test client") : null;

            bool signalled = true;
            if (client is null)
                sigint.Wait();
            else if (!(signalled = Fiber.IgnoreAfter(TimeSpan.FromSeconds(5), sigint.Wait)))
                Console.WriteLine("self-test: no SIGINT within 5 s");   // stop anyway rather than wait forever
            Console.WriteLine("Cancelling");
            t.Cancel();
            Console.WriteLine($"echoss: server fiber ended {t.State}");
            if (client is null)
                return 0;
            bool ok = client.Join() && signalled;
            Console.WriteLine(ok ? "self-test: OK" : "self-test: FAILED");
            return ok ? 0 : 1;
        });
    }

    private static void EchoStreamHandler(FiberSocket client, EndPoint addr)
    {
        Console.WriteLine($"Stream Connection from {addr}");
        try
        {
            FiberStream s = client.GetStream();
            while (s.ReadLine() is string line)
                s.Write(Encoding.UTF8.GetBytes(line + "\n"));
        }
        catch (FiberCancelledException)
        {
            Console.WriteLine("Stream Handler Cancelled");   // swallowed, as the seed does: the handler just ends
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            Console.WriteLine($"Stream Handler failed: {e.Message}");
        }
        Console.WriteLine("Stream Connection closed");
    }

    /// <summary>Echoes two lines, sends SIGINT to this process, then expects the server to close the connection.</summary>
    private static bool SelfTest(int port)
    {
        using FiberSocket c = FiberSocket.ConnectTcp("127.0.0.1", port);
        FiberStream s = c.GetStream();
        bool ok = true;
        string[] lines = ["hello", "world"];
        foreach (string line in lines)
        {
            s.Write(Encoding.UTF8.GetBytes(line + "\n"));
            string? back = s.ReadLine();
            Console.WriteLine($"self-test: sent '{line}', got '{back}'");
            ok &= back == line;
        }
        Console.WriteLine($"self-test: sending SIGINT to myself (pid {Environment.ProcessId})");
        SelfSignal.Send("INT");
        string? after = s.ReadLine();
        Console.WriteLine($"self-test: then the server closed the connection: {after is null}");
        return ok && after is null;
    }
}

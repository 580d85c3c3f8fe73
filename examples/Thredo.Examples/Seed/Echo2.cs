using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// Port of the seed's <c>echo2.py</c>: a line echo server whose accept loop spawns, for each client,
/// a handler fiber and a killer fiber that cancels the handler after <c>--seconds</c> (the seed: 30).
/// The handler's <c>ReadLine</c> is where the cancellation lands; its <c>finally</c> closes the client.
/// Runs until Ctrl-C / SIGTERM; <c>--self-test</c> instead runs two clients against it (one hangs up,
/// one stays idle until the killer cuts it off) and exits.
/// </summary>
internal sealed class Echo2 : Example
{
    public override string Name => "echo2";

    public override string Description => "line echo server, a killer fiber cancels each handler after N s; --port N (25000), --seconds S (30), --self-test (~2 s)";

    public override int Order => 64;

    public override int Run(string[] args)
    {
        int? port = null;
        double? seconds = null;
        bool selfTest = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--port" when i + 1 < args.Length: port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seconds" when i + 1 < args.Length: seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--self-test": selfTest = true; break;
                default:
                    Console.Error.WriteLine($"echo2: unknown option '{args[i]}' (use --port N, --seconds S, --self-test)");
                    return 2;
            }
        }
        // A self-test picks a free port and a short deadline unless told otherwise.
        int listenPort = port ?? (selfTest ? 0 : 25000);
        double limit = seconds ?? (selfTest ? 1.5 : 30);

        return Fiber.Run(() =>
        {
            FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, listenPort));
            int bound = ((IPEndPoint)listener.LocalEndPoint!).Port;
            Console.WriteLine($"echo2: listening on 127.0.0.1:{bound}; each client is cut off after {limit} s");
            Fiber server = Fiber.Spawn(() => EchoServer(listener, limit), "echo server");

            int status = 0;
            if (selfTest)
                status = SelfTest(bound, limit);
            else
            {
                using var stop = new SignalEvent(PosixSignal.SIGINT, PosixSignal.SIGTERM);
                Console.WriteLine($"echo2: try `nc 127.0.0.1 {bound}`; Ctrl-C stops");
                stop.Wait();
                Console.WriteLine();
            }
            Console.WriteLine("echo2: stopping the server");
            server.Cancel();
            Console.WriteLine("echo2: stopped");
            return status;
        });
    }

    /// <summary>The accept loop: a handler and its killer per client, all in a group cancelled when the server ends.</summary>
    private static void EchoServer(FiberSocket listener, double seconds)
    {
        using var clients = new FiberGroup(GroupWait.None);   // disposed last: cancels every handler and killer
        try
        {
            while (true)
            {
                FiberSocket client = listener.Accept();
                EndPoint addr = client.RemoteEndPoint!;
                Fiber handler = clients.Spawn(() => EchoHandler(client, addr), $"handler {addr}");
                clients.Spawn(() => Killer(seconds, handler, addr), $"killer {addr}");
            }
        }
        finally
        {
            listener.Dispose();   // no new client while the group winds down
        }
    }

    private static void EchoHandler(FiberSocket client, EndPoint addr)
    {
        Console.WriteLine($"Connection from {addr}");
        try
        {
            FiberStream s = client.GetStream();
            while (s.ReadLine() is string line)
                s.Write(Encoding.UTF8.GetBytes(line + "\n"));
            Console.WriteLine($"{addr} hung up");
        }
        catch (FiberCancelledException)
        {
            Console.WriteLine($"{addr} handler cancelled");
            throw;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            Console.WriteLine($"{addr} failed: {e.Message}");
        }
        finally
        {
            Console.WriteLine($"Connection closed ({addr})");
            client.Dispose();
        }
    }

    private static void Killer(double delay, Fiber handler, EndPoint addr)
    {
        Fiber.Sleep(delay);
        if (handler.IsCompleted)
            return;   // the client left in time
        Console.WriteLine($"killer: {addr} has had its {delay} s, cancelling its handler");
        handler.Cancel();
    }

    /// <summary>A client that talks and hangs up, and one that says one line and then idles until killed.</summary>
    private static int SelfTest(int port, double limit)
    {
        int failures = 0;
        using (var group = new FiberGroup())
        {
            group.Spawn(() =>
            {
                using FiberSocket c = FiberSocket.ConnectTcp("127.0.0.1", port);
                FiberStream s = c.GetStream();
                string[] lines = ["hello", "echo", "bye"];
                foreach (string line in lines)
                {
                    s.Write(Encoding.UTF8.GetBytes(line + "\n"));
                    string? back = s.ReadLine();
                    Console.WriteLine($"self-test: talker sent '{line}', got '{back}'");
                    if (back != line)
                        failures++;
                }
                Console.WriteLine("self-test: talker hangs up");
            }, "talker");
            group.Spawn(() =>
            {
                using FiberSocket c = FiberSocket.ConnectTcp("127.0.0.1", port);
                FiberStream s = c.GetStream();
                s.Write("anyone there?\n"u8);
                Console.WriteLine($"self-test: idler sent 'anyone there?', got '{s.ReadLine()}', now idles");
                var clock = Stopwatch.StartNew();
                string? after = s.ReadLine();
                double waited = clock.Elapsed.TotalSeconds;
                Console.WriteLine($"self-test: idler saw {(after is null ? "end of stream" : $"'{after}'")} after {waited:F2} s");
                if (after is not null || waited < limit * 0.8)
                    failures++;
            }, "idler");
        }
        Console.WriteLine(failures == 0 ? "self-test: OK" : $"self-test: {failures} failure(s)");
        return failures == 0 ? 0 : 1;
    }
}

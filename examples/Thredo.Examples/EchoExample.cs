using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// An echo server on 127.0.0.1 with a fiber per client, written as plain blocking code.
/// <c>--kill-after N</c> puts each client under a deadline of N seconds (an <see cref="Fiber.IgnoreAfter(TimeSpan)"/>
/// scope: when it expires the client's blocking Receive is interrupted and the client is closed);
/// Ctrl-C (SIGINT) or SIGTERM stops the server cleanly through a <see cref="SignalEvent"/>.
/// <c>--self-test</c> runs a few clients against it and exits (0 when every check passed).
/// </summary>
internal sealed class EchoExample : Example
{
    public override string Name => "echo";

    public override string Description => "echo server, a fiber per client; --port N, --kill-after SECONDS, --self-test, --monitor";

    public override int Order => 10;

    public override int Run(string[] args)
    {
        int port = 25000;
        double? killAfter = null;
        bool selfTest = false;
        bool monitor = false;   // --monitor: the live fiber table every few seconds (SIGQUIT prints it anyway)
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--port": port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--kill-after": killAfter = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--self-test": selfTest = true; break;
                case "--monitor": monitor = true; break;
                default:
                    Console.Error.WriteLine($"echo: unknown option '{args[i]}' (use --port N, --kill-after SECONDS, --self-test, --monitor)");
                    return 2;
            }
        }
        if (selfTest)
            killAfter ??= 0.3;
        return Fiber.Run(() =>
        {
            // Bind before spawning, so a busy port is reported here and a self-test knows its port.
            FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, selfTest ? 0 : port), backlog: 4096);
            int bound = ((IPEndPoint)listener.LocalEndPoint!).Port;
            Fiber server = Fiber.Spawn(() => FiberServer.ServeTcp(listener, (client, remote) => Serve(client, remote, killAfter)), "echo server");
            Console.WriteLine($"echo: listening on 127.0.0.1:{bound}{(killAfter is double k ? $", clients are cut off after {k} s" : "")}");
            int status = 0;
            if (selfTest)
                status = SelfTest(bound, killAfter!.Value);
            else
            {
                SnapshotMonitor.SpawnFiber(monitor);
                using var stop = new SignalEvent(PosixSignal.SIGINT, PosixSignal.SIGTERM);
                Console.WriteLine("echo: try `nc 127.0.0.1 " + bound + "`; Ctrl-C stops");
                stop.Wait();
                Console.WriteLine();
                Console.WriteLine("echo: stopping: closing the listener and cancelling every client");
            }
            server.Cancel();   // ServeTcp closes the listener, then cancels and waits for every client fiber
            Console.WriteLine("echo: stopped");
            return status;
        });
    }

    /// <summary>One client's fiber: echo until it hangs up, under the optional deadline.</summary>
    private static void Serve(FiberSocket client, EndPoint remote, double? killAfter)
    {
        Console.WriteLine($"echo: {remote} connected");
        try
        {
            if (killAfter is not double seconds)
                EchoUntilEnd(client);
            else if (!Fiber.IgnoreAfter(TimeSpan.FromSeconds(seconds), () => EchoUntilEnd(client)))
            {
                Console.WriteLine($"echo: {remote} cut off after {seconds} s");
                client.SendAll(Encoding.UTF8.GetBytes($"bye: your {seconds} s are up\n"));
                return;
            }
            Console.WriteLine($"echo: {remote} hung up");
        }
        catch (SocketException e)
        {
            Console.WriteLine($"echo: {remote} failed: {e.SocketErrorCode}");
        }
        catch (FiberCancelledException)
        {
            Console.WriteLine($"echo: {remote} cancelled (server stopping)");
            throw;
        }
    }

    private static void EchoUntilEnd(FiberSocket client)
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = client.Receive(buffer)) > 0)
            client.SendAll(buffer.AsSpan(0, n));
    }

    /// <summary>Three talking clients at once, and one idle client that the deadline cuts off.</summary>
    private static int SelfTest(int port, double killAfter)
    {
        int failures = 0;
        using (var clients = new FiberGroup())
        {
            for (int i = 0; i < 3; i++)
            {
                int id = i;
                clients.Spawn(() =>
                {
                    using FiberSocket c = FiberSocket.ConnectTcp("127.0.0.1", port);
                    FiberStream s = c.GetStream();
                    for (int j = 0; j < 3; j++)
                    {
                        string line = $"client {id} line {j}";
                        s.Write(Encoding.UTF8.GetBytes(line + "\n"));
                        string? back = s.ReadLine();
                        if (back != line)
                            failures++;
                        Console.WriteLine($"self-test: client {id} sent '{line}', got '{back}'");
                    }
                });
            }
            clients.Spawn(() =>
            {
                using FiberSocket idle = FiberSocket.ConnectTcp("127.0.0.1", port);
                string? bye = idle.GetStream().ReadLine();   // says nothing; the server's deadline ends it
                bool cut = bye?.StartsWith("bye", StringComparison.Ordinal) == true && idle.GetStream().ReadLine() is null;
                Console.WriteLine($"self-test: idle client got '{bye}' after ~{killAfter} s, then end of stream: {cut}");
                if (!cut)
                    failures++;
            });
        }
        Console.WriteLine(failures == 0 ? "self-test: OK" : $"self-test: {failures} failure(s)");
        return failures == 0 ? 0 : 1;
    }
}

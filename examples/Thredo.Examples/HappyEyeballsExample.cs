using System.Net;
using Thredo.IO;

namespace Thredo.Examples;

/// <summary>
/// Happy eyeballs: connect to several endpoints at once in a <see cref="FiberGroup"/> with
/// <see cref="GroupWait.Any"/>; the first attempt to finish wins and the group cancels the others.
/// Self-contained: three local servers, one that never completes a connection (its backlog is full),
/// one that greets after 400 ms and one that greets after 100 ms. An attempt is done when it has
/// connected and read the greeting.
/// </summary>
internal sealed class HappyEyeballsExample : Example
{
    public override string Name => "happy-eyeballs";

    public override string Description => "race connects to several endpoints with GroupWait.Any; the first wins, the rest are cancelled";

    public override int Order => 30;

    public override int Run(string[] args) => Fiber.Run(() =>
    {
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        using FiberSocket stuck = FiberSocket.ListenTcp(loopback, backlog: 1);
        List<FiberSocket> fillers = FillBacklog(stuck);
        using var servers = new FiberGroup(GroupWait.None);   // cancelled when the example ends
        FiberSocket slow = Greeter(servers, "slow", TimeSpan.FromMilliseconds(400));
        FiberSocket fast = Greeter(servers, "fast", TimeSpan.FromMilliseconds(100));
        (string Name, int Port)[] targets = [("stuck", Port(stuck)), ("slow", Port(slow)), ("fast", Port(fast))];

        FiberSocket winner;
        string winnerName;
        // Any: the first member to complete wins. A member that FAILS ends the group with an error, so
        // with endpoints that may refuse, use GroupWait.Object and return null on failure instead.
        using (var race = new FiberGroup(GroupWait.Any))
        {
            foreach ((string name, int port) in targets)
                race.Spawn(() => Attempt(name, port), name);
            race.Join();
            winner = (FiberSocket)race.Result!;
            winnerName = race.Completed!.Name;
            foreach (Fiber f in race.Fibers)
                Console.WriteLine($"  {f.Name,-6} {f.State}");
        }
        Console.WriteLine($"happy-eyeballs: '{winnerName}' won ({winner.RemoteEndPoint}); the others were cancelled");
        winner.Dispose();
        foreach (FiberSocket f in fillers)
            f.Dispose();
        return winnerName == "fast" ? 0 : 1;
    });

    /// <summary>One attempt: connect, then read the server's greeting line.</summary>
    private static FiberSocket Attempt(string name, int port)
    {
        string phase = "connecting";
        FiberSocket? s = null;
        try
        {
            Console.WriteLine($"{name}: connecting to 127.0.0.1:{port}");
            s = FiberSocket.ConnectTcp("127.0.0.1", port);
            phase = "waiting for the greeting";
            Console.WriteLine($"{name}: connected, {phase}");
            string? greeting = s.GetStream().ReadLine();
            Console.WriteLine($"{name}: got '{greeting}'");
            return s;
        }
        catch (FiberCancelledException)
        {
            Console.WriteLine($"{name}: cancelled while {phase}");
            s?.Dispose();
            throw;
        }
    }

    /// <summary>A server that greets each client after <paramref name="delay"/>.</summary>
    private static FiberSocket Greeter(FiberGroup servers, string name, TimeSpan delay)
    {
        FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
        servers.Spawn(() => FiberServer.ServeTcp(listener, (c, _) =>
        {
            Fiber.Sleep(delay);
            c.SendAll(System.Text.Encoding.UTF8.GetBytes($"hello from {name}\n"));
            c.Receive(new byte[1]);   // until the client leaves
        }), $"{name} server");
        return listener;
    }

    /// <summary>
    /// Fills the accept queue of a listener that never accepts: after a couple of connections the
    /// kernel drops further SYNs, so the next connect stays in progress. Stops at the first connect
    /// that does not complete within 100 ms.
    /// </summary>
    private static List<FiberSocket> FillBacklog(FiberSocket listener)
    {
        var held = new List<FiberSocket>();
        for (int i = 0; i < 16; i++)
            if (!Fiber.IgnoreAfter(TimeSpan.FromMilliseconds(100), () => held.Add(FiberSocket.ConnectTcp("127.0.0.1", Port(listener)))))
                break;
        return held;
    }

    private static int Port(FiberSocket s) => ((IPEndPoint)s.LocalEndPoint!).Port;
}

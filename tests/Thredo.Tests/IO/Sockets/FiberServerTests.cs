using System.Net;
using System.Net.Sockets;
using System.Text;
using Thredo.IO;

namespace Thredo.Tests.IO.Sockets;

public class FiberServerTests
{
    [Fact]
    public void ServeTcp_serves_1000_concurrent_clients_each_in_its_own_fiber()
    {
        const int Clients = 1000;
        int maxActive = 0, echoed = 0;
        var options = K.Options with { StackSizeBytes = 64 * 1024 };
        Fiber.Run(() =>
        {
            FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0), backlog: Clients);
            int port = listener.Port();
            int active = 0;   // with THREDO_TEST_SCHEDULERS=2 fibers run in parallel: every counter is Interlocked
            Fiber server = Fiber.Spawn(() => FiberServer.ServeTcp(listener, (c, _) =>
            {
                int now = Interlocked.Increment(ref active);
                for (int seen = Volatile.Read(ref maxActive); now > seen; seen = Volatile.Read(ref maxActive))
                    Interlocked.CompareExchange(ref maxActive, now, seen);
                try
                {
                    FiberStream s = c.GetStream();
                    string? line = s.ReadLine();
                    s.Write(Encoding.UTF8.GetBytes(line + "\n"));
                    Assert.Equal(0, c.Receive(new byte[1]));   // the client closes
                }
                finally
                {
                    Interlocked.Decrement(ref active);
                }
            }), "server");
            var allConnected = new FiberEvent();
            int connected = 0;
            using (var clients = new FiberGroup())
            {
                for (int i = 0; i < Clients; i++)
                {
                    int id = i;
                    clients.Spawn(() =>
                    {
                        using FiberSocket c = FiberSocket.ConnectTcp("127.0.0.1", port);
                        c.SendAll(Encoding.UTF8.GetBytes($"client {id}\n"));
                        if (c.GetStream().ReadLine() == $"client {id}")
                            Interlocked.Increment(ref echoed);
                        if (Interlocked.Increment(ref connected) == Clients)
                            allConnected.Set();
                        allConnected.Wait();   // hold the connection until every client is in
                    });
                }
            }
            server.Cancel();
        }, options);
        Assert.Equal(Clients, echoed);
        Assert.Equal(Clients, maxActive);
    }

    [Fact]
    public void Cancelling_the_server_closes_the_listener_and_cancels_every_client()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            FiberSocket listener = Net.Listen();
            int port = listener.Port();
            var bothIn = new FiberEvent();
            int clientsIn = 0;
            Fiber server = Fiber.Spawn(() =>
            {
                try
                {
                    FiberServer.ServeTcp(listener, (c, _) =>
                    {
                        trace.Add("client in");
                        if (++clientsIn == 2)
                            bothIn.Set();
                        try { c.Receive(new byte[1]); }
                        catch (FiberCancelledException) { trace.Add("client cancelled"); throw; }
                    });
                }
                catch (FiberCancelledException) { trace.Add("server cancelled"); throw; }
            });
            using FiberSocket a = FiberSocket.ConnectTcp("127.0.0.1", port);
            using FiberSocket b = FiberSocket.ConnectTcp("127.0.0.1", port);
            bothIn.Wait();
            server.Cancel();
            trace.Add($"server {server.State}");
            trace.Add($"clients see end of stream: {a.Receive(new byte[1]) + b.Receive(new byte[1])}");
            var refused = Assert.Throws<SocketException>(() => FiberSocket.ConnectTcp("127.0.0.1", port));
            trace.Add($"new connect: {refused.SocketErrorCode}");
        });
        trace.Is("client in", "client in", "client cancelled", "client cancelled", "server cancelled",
                 "server Cancelled", "clients see end of stream: 0", "new connect: ConnectionRefused");
    }
}

[Collection("stderr")]
public class FiberServerFailureTests
{
    [Fact]
    public void A_failing_handler_is_reported_once_with_its_client_and_the_server_goes_on()
    {
        var trace = new Trace();
        string firstClient = "";
        string report = StderrCapture.Of(() =>
            K.RunOneKernel(() =>
            {
                FiberSocket listener = Net.Listen();
                int port = listener.Port();
                int n = 0;
                Fiber server = Fiber.Spawn(() => FiberServer.ServeTcp(listener, (c, _) =>
                {
                    if (n++ == 0)
                        throw new InvalidOperationException("handler bug");
                    c.SendAll("fine"u8);
                }));
                using (FiberSocket first = FiberSocket.ConnectTcp("127.0.0.1", port))
                {
                    firstClient = first.LocalEndPoint!.ToString()!;
                    trace.Add($"first client sees end of stream: {first.Receive(new byte[10])}");
                }
                using (FiberSocket second = FiberSocket.ConnectTcp("127.0.0.1", port))
                    trace.Add($"second client gets: {Encoding.UTF8.GetString(Net.ReceiveToEnd(second))}");
                trace.Add($"server still {server.State}");
                server.Cancel();
            }));
        trace.Is("first client sees end of stream: 0", "second client gets: fine", "server still Blocked");
        Assert.Equal(1, CountOf(report, "handler bug"));
        Assert.Contains($"client {firstClient}", report, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
            count++;
        return count;
    }
}

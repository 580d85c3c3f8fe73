using System.Net;
using System.Net.Sockets;
using Thredo.IO;

namespace Thredo.Tests.IO.Sockets;

public class SocketFailureTests
{
    /// <summary>Closes with SO_LINGER 0, so the peer gets a reset instead of an orderly end.</summary>
    private static void Reset(FiberSocket s)
    {
        s.Socket.LingerState = new LingerOption(true, 0);
        s.Dispose();
    }

    [Fact]
    public void A_peer_closing_mid_read_gives_the_data_then_0()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using FiberSocket listener = Net.Listen();
            var gotData = new FiberEvent();
            Fiber server = Fiber.Spawn(() =>
            {
                using FiberSocket c = listener.Accept();
                c.SendAll("abc"u8);
                gotData.Wait();   // the client has its data and waits in Receive again (one kernel: it runs until it blocks)
                trace.Add("server closes");
            });
            using FiberSocket client = Net.ConnectTo(listener);
            var buf = new byte[10];
            trace.Add($"got {client.Receive(buf)}");
            gotData.Set();
            trace.Add($"got {client.Receive(buf)}");
            trace.Add($"got {client.Receive(buf)}");
            server.Join();
        });
        trace.Is("got 3", "server closes", "got 0", "got 0");
    }

    [Fact]
    public void A_connection_reset_mid_read_throws_SocketException_in_that_fiber_alone()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using FiberSocket listener = Net.Listen();
            var go = new FiberEvent();
            Fiber bystander = Fiber.Spawn(() => { go.Wait(); trace.Add("bystander done"); });
            Fiber reader = Fiber.Spawn(() =>
            {
                using FiberSocket client = Net.ConnectTo(listener);
                client.SendAll("hi"u8);
                client.Receive(new byte[10]);   // waits; the server resets
            }, "reader");
            using (FiberSocket c = listener.Accept())
            {
                c.Receive(new byte[2]);   // the reader sent, then blocked in Receive (one kernel: it ran until then)
                trace.Add("reset");
                Reset(c);
            }
            var failure = Assert.Throws<FiberFailedException>(reader.Join);
            var e = Assert.IsType<SocketException>(failure.InnerException);
            trace.Add($"reader: {e.SocketErrorCode}");
            go.Set();
            bystander.Join();
        });
        trace.Is("reset", "reader: ConnectionReset", "bystander done");
    }

    [Fact]
    public void A_connection_reset_mid_write_throws_SocketException()
    {
        SocketError error = K.Run(() =>
        {
            using FiberSocket listener = Net.Listen();
            Fiber<SocketError> writer = Fiber.Spawn(() =>
            {
                using FiberSocket client = Net.ConnectTo(listener);
                try
                {
                    client.SendAll(new byte[64 * 1024 * 1024]);   // more than both buffers hold: must wait
                    return SocketError.Success;
                }
                catch (SocketException e)
                {
                    return e.SocketErrorCode;
                }
            });
            FiberSocket c = listener.Accept();
            c.Receive(new byte[1000]);
            Fiber.Sleep(K.Ms(5));
            Reset(c);
            return writer.Join();
        });
        Assert.Contains(error, new[] { SocketError.ConnectionReset, SocketError.Shutdown, SocketError.ConnectionAborted });
    }

    [Fact]
    public void Connect_refused_throws_ConnectionRefused_naming_the_endpoint()
    {
        var e = K.Run(() =>
        {
            // A port that was just free: bind it, learn it, close it; nothing listens there now.
            FiberSocket probe = Net.Listen();
            int closedPort = probe.Port();
            probe.Dispose();
            return Assert.Throws<SocketException>(() => FiberSocket.ConnectTcp("127.0.0.1", closedPort));
        });
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Contains("127.0.0.1:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unresolvable_host_throws_HostNotFound_naming_the_host()
    {
        var e = K.Run(() => Assert.Throws<SocketException>(() => FiberSocket.ConnectTcp("no-such-host.invalid", 80)));
        Assert.Equal(SocketError.HostNotFound, e.SocketErrorCode);
        Assert.Contains("no-such-host.invalid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_ports_and_null_arguments_throw_argument_exceptions_naming_the_parameter()
    {
        K.Run(() =>
        {
            Assert.Equal("host", Assert.Throws<ArgumentNullException>(() => FiberSocket.ConnectTcp(null!, 80)).ParamName);
            Assert.Equal("port", Assert.Throws<ArgumentOutOfRangeException>(() => FiberSocket.ConnectTcp("127.0.0.1", -1)).ParamName);
            Assert.Equal("port", Assert.Throws<ArgumentOutOfRangeException>(() => FiberSocket.ConnectTcp("127.0.0.1", 65536)).ParamName);
            Assert.Equal("endpoint", Assert.Throws<ArgumentNullException>(() => FiberSocket.ListenTcp(null!)).ParamName);
            Assert.Equal("backlog", Assert.Throws<ArgumentOutOfRangeException>(() => FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0), -1)).ParamName);
            Assert.Equal("endpoint", Assert.Throws<ArgumentNullException>(() => FiberSocket.BindUdp(null!)).ParamName);
            Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => FiberSocket.ConnectUnix(null!)).ParamName);
            Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => FiberSocket.ListenUnix(null!)).ParamName);
            Assert.Equal("socket", Assert.Throws<ArgumentNullException>(() => new FiberSocket(null!)).ParamName);
            Assert.Equal("endpoint", Assert.Throws<ArgumentNullException>(() => FiberServer.ServeTcp((IPEndPoint)null!, (_, _) => { })).ParamName);
            Assert.Equal("handler", Assert.Throws<ArgumentNullException>(() => FiberServer.ServeTcp(new IPEndPoint(IPAddress.Loopback, 0), null!)).ParamName);
            using FiberSocket udp = FiberSocket.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
            EndPoint from = null!;
            Assert.Equal("from", Assert.Throws<ArgumentNullException>(() => udp.ReceiveFrom(new byte[1], ref from)).ParamName);
            Assert.Equal("to", Assert.Throws<ArgumentNullException>(() => udp.SendTo(new byte[1], null!)).ParamName);
        });
    }

    [Fact]
    public void Disposing_a_socket_wakes_a_fiber_waiting_on_it_with_ObjectDisposedException()
    {
        var trace = new Trace();
        K.Run(() =>
        {
            using FiberSocket listener = Net.Listen();
            FiberSocket client = Net.ConnectTo(listener);
            using FiberSocket accepted = listener.Accept();
            Fiber reader = Fiber.Spawn(() =>
            {
                try { client.Receive(new byte[10]); }
                catch (ObjectDisposedException) { trace.Add("reader: disposed"); throw; }
            });
            Fiber acceptor = Fiber.Spawn(() =>
            {
                try { listener.Accept(); }
                catch (ObjectDisposedException) { trace.Add("acceptor: disposed"); throw; }
            });
            K.UntilBlocked(reader, acceptor);
            trace.Add($"{reader.State} {acceptor.State}");
            client.Dispose();
            listener.Dispose();
            reader.Wait();
            acceptor.Wait();
            trace.Add($"{reader.State} {acceptor.State}");
        });
        // Between the two wakes the order is the kernels' (undefined with several): compare as a set.
        string[] items = trace.Items;
        Assert.Equal(["Blocked Blocked", "Faulted Faulted"], [items[0], items[^1]]);
        Assert.Equal(["acceptor: disposed", "reader: disposed"], items[1..^1].Order());
    }

    [Fact]
    public void Operations_on_a_disposed_socket_throw_ObjectDisposedException()
    {
        K.Run(() =>
        {
            FiberSocket l = Net.Listen();
            l.Dispose();
            l.Dispose();   // idempotent
            Assert.Throws<ObjectDisposedException>(() => l.Accept());
            Assert.Throws<ObjectDisposedException>(() => l.GetStream());
        });
    }
}

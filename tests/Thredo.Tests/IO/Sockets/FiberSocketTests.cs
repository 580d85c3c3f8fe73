using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Thredo.IO;

namespace Thredo.Tests.IO.Sockets;

public class FiberSocketTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(200_003)]
    [InlineData(4 * 1024 * 1024)]
    public void Echo_returns_every_byte_sent_in_order(int size)
    {
        byte[] data = Net.Data(size);
        byte[] echoed = K.Run(() =>
        {
            using FiberSocket listener = Net.Listen();
            Fiber server = Fiber.Spawn(() => Net.Echo(listener.Accept()), "echo");
            using FiberSocket client = Net.ConnectTo(listener);
            // One fiber reads while this one writes: a 4 MiB echo would otherwise fill both directions' buffers.
            Fiber<byte[]> reader = Fiber.Spawn(() => Net.ReceiveToEnd(client), "reader");
            client.SendAll(data);
            client.Shutdown(SocketShutdown.Send);
            server.Join();
            return reader.Join();
        });
        Assert.Equal(data, echoed);
    }

    [Fact]
    public void Echo_works_over_IPv6_loopback()
    {
        if (!Socket.OSSupportsIPv6)
            return;
        string got = K.Run(() =>
        {
            using FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            Fiber server = Fiber.Spawn(() => Net.Echo(listener.Accept()));
            using FiberSocket client = FiberSocket.ConnectTcp("::1", listener.Port());
            client.SendAll("over ::1"u8);
            client.Shutdown(SocketShutdown.Send);
            string s = Encoding.UTF8.GetString(Net.ReceiveToEnd(client));
            server.Join();
            return $"{s} from {((IPEndPoint)client.RemoteEndPoint!).Address}";
        });
        Assert.Equal("over ::1 from ::1", got);
    }

    [Fact]
    public void Udp_datagrams_round_trip_and_report_the_sender()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using FiberSocket a = FiberSocket.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
            using FiberSocket b = FiberSocket.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
            Fiber echo = Fiber.Spawn(() =>
            {
                var buf = new byte[100];
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                int n = b.ReceiveFrom(buf, ref from);   // waits: nothing sent yet
                trace.Add($"b got '{Encoding.UTF8.GetString(buf, 0, n)}' from a: {from.Equals(a.LocalEndPoint)}");
                b.SendTo(buf.AsSpan(0, n), from);
            });
            Fiber.Yield();
            trace.Add("a sends");
            a.SendTo("ping"u8, b.LocalEndPoint!);
            var reply = new byte[100];
            EndPoint sender = new IPEndPoint(IPAddress.Any, 0);
            int m = a.ReceiveFrom(reply, ref sender);
            trace.Add($"a got '{Encoding.UTF8.GetString(reply, 0, m)}' from b: {sender.Equals(b.LocalEndPoint)}");
            echo.Join();
        });
        trace.Is("a sends", "b got 'ping' from a: True", "a got 'ping' from b: True");
    }

    [Fact]
    public void Unix_domain_sockets_round_trip()
    {
        string dir = Net.TempDir();
        try
        {
            string path = Path.Combine(dir, "s.sock");
            string? reply = K.Run(() =>
            {
                using FiberSocket listener = FiberSocket.ListenUnix(path);
                Fiber server = Fiber.Spawn(() =>
                {
                    using FiberSocket c = listener.Accept();
                    FiberStream s = c.GetStream();
                    string? line = s.ReadLine();
                    s.Write(Encoding.UTF8.GetBytes($"unix says {line}\n"));
                });
                using FiberSocket client = FiberSocket.ConnectUnix(path);
                client.SendAll("hello\n"u8);
                string? r = client.GetStream().ReadLine();
                server.Join();
                return r;
            });
            Assert.Equal("unix says hello", reply);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void StreamReader_and_StreamWriter_work_over_FiberStream_on_fibers()
    {
        string[] lines = K.Run(() =>
        {
            using FiberSocket listener = Net.Listen();
            Fiber server = Fiber.Spawn(() =>
            {
                using FiberSocket c = listener.Accept();
                using var reader = new StreamReader(c.GetStream(), Encoding.UTF8, leaveOpen: true);
                using var writer = new StreamWriter(c.GetStream(), new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
                string? line;
                while ((line = reader.ReadLine()) is not null)
                    writer.WriteLine(line.ToUpperInvariant());
                writer.Flush();
            });
            using FiberSocket client = Net.ConnectTo(listener);
            using (var w = new StreamWriter(client.GetStream(), new UTF8Encoding(false), leaveOpen: true) { NewLine = "\r\n" })
            {
                w.WriteLine("first");
                w.WriteLine("zweite Zeile äö");
                w.Write("no newline at end");
            }
            client.Shutdown(SocketShutdown.Send);
            var got = new List<string>();
            using var r = new StreamReader(client.GetStream(), Encoding.UTF8, leaveOpen: true);
            while (r.ReadLine() is string l)
                got.Add(l);
            server.Join();
            return got.ToArray();
        });
        Assert.Equal(["FIRST", "ZWEITE ZEILE ÄÖ", "NO NEWLINE AT END"], lines);
    }

    private sealed record Order(int Id, string Item, decimal[] Prices);

    [Fact]
    public void System_Text_Json_sync_serialize_and_deserialize_work_over_FiberStream()
    {
        var sent = new Order(7, "tea", [1.5m, 2.25m]);
        Order? back = K.Run(() =>
        {
            using FiberSocket listener = Net.Listen();
            Fiber server = Fiber.Spawn(() =>
            {
                using FiberSocket c = listener.Accept();
                FiberStream s = c.GetStream();
                Order o = JsonSerializer.Deserialize<Order>(s)!;   // reads to end of stream
                JsonSerializer.Serialize(s, o with { Id = o.Id + 1 });
            });
            using FiberSocket client = Net.ConnectTo(listener);
            JsonSerializer.Serialize(client.GetStream(), sent);
            client.Shutdown(SocketShutdown.Send);
            Order? o = JsonSerializer.Deserialize<Order>(client.GetStream());
            server.Join();
            return o;
        });
        Assert.NotNull(back);
        Assert.Equal(8, back.Id);
        Assert.Equal("tea", back.Item);
        Assert.Equal(sent.Prices, back.Prices);
    }

    [Fact]
    public void ReadLine_splits_on_LF_and_CRLF_and_returns_the_unterminated_rest_then_null()
    {
        var lines = K.Run(() =>
        {
            using FiberSocket listener = Net.Listen();
            Fiber server = Fiber.Spawn(() =>
            {
                using FiberSocket c = listener.Accept();
                c.SendAll("a\r\nbb\n\nccc\r"u8);
                Fiber.Sleep(K.Ms(5));
                c.SendAll("\ntail"u8);
            });
            using FiberSocket client = Net.ConnectTo(listener);
            FiberStream s = client.GetStream();
            var got = new List<string?>();
            for (int i = 0; i < 6; i++)
                got.Add(s.ReadLine());
            server.Join();
            return got;
        });
        Assert.Equal(["a", "bb", "", "ccc", "tail", null], lines);
    }

    [Fact]
    public void Operations_off_a_fiber_block_the_calling_thread()
    {
        byte[] data = Net.Data(300_000);
        byte[]? echoed = null;
        K.Run(() =>
        {
            using FiberSocket listener = Net.Listen();
            int port = listener.Port();
            Fiber server = Fiber.Spawn(() => Net.Echo(listener.Accept()));
            // A plain thread uses the same API; the fiber server keeps running meanwhile.
            Task client = Task.Run(() =>
            {
                using FiberSocket c = FiberSocket.ConnectTcp("127.0.0.1", port);
                var reader = Task.Run(() => Net.ReceiveToEnd(c));
                c.SendAll(data);
                c.Shutdown(SocketShutdown.Send);
                echoed = reader.GetAwaiter().GetResult();
            });
            Fiber.Await(client);
            server.Join();
        });
        Assert.Equal(data, echoed);
    }

    [Fact]
    public void FiberStream_async_members_work_for_async_callers_off_a_fiber()
    {
        string? got = null;
        K.Run(() =>
        {
            using FiberSocket listener = Net.Listen();
            int port = listener.Port();
            Fiber server = Fiber.Spawn(() => Net.Echo(listener.Accept()));
            Fiber.Await(Task.Run(async () =>
            {
                using FiberSocket c = FiberSocket.ConnectTcp("127.0.0.1", port);
                FiberStream s = c.GetStream();
                await s.WriteAsync("async hello"u8.ToArray());
                c.Shutdown(SocketShutdown.Send);
                using var r = new StreamReader(s, leaveOpen: true);
                got = await r.ReadToEndAsync();
            }));
            server.Join();
        });
        Assert.Equal("async hello", got);
    }
}

using System.Net.Sockets;
using System.Text;
using Thredo.IO;

namespace Thredo.Tests.IO.Sockets;

public class SocketCancellationTests
{
    [Fact]
    public void Cancelling_a_fiber_waiting_in_Accept_leaves_the_listener_usable()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using FiberSocket listener = Net.Listen();
            Fiber f = Fiber.Spawn(() =>
            {
                try { listener.Accept(); }
                catch (FiberCancelledException) { trace.Add("accept cancelled"); throw; }
            });
            Fiber.Yield();
            f.Cancel();
            trace.Add($"acceptor {f.State}");
            using FiberSocket client = Net.ConnectTo(listener);
            using FiberSocket accepted = listener.Accept();
            trace.Add($"accepted again: {accepted.RemoteEndPoint!.Equals(client.LocalEndPoint)}");
        });
        trace.Is("accept cancelled", "acceptor Cancelled", "accepted again: True");
    }

    [Fact]
    public void Cancelling_a_fiber_waiting_in_Receive_loses_no_data_for_the_next_reader()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using FiberSocket listener = Net.Listen();
            using FiberSocket client = Net.ConnectTo(listener);
            using FiberSocket server = listener.Accept();
            Fiber f = Fiber.Spawn(() =>
            {
                try { client.Receive(new byte[10]); }
                catch (FiberCancelledException) { trace.Add("receive cancelled"); throw; }
            });
            Fiber.Yield();
            f.Cancel();
            server.SendAll("later"u8);
            var buf = new byte[10];
            int n = client.Receive(buf);
            trace.Add($"next reader got '{Encoding.UTF8.GetString(buf, 0, n)}'");
        });
        trace.Is("receive cancelled", "next reader got 'later'");
    }

    [Fact]
    public void A_cancelled_SendAll_reports_the_bytes_already_sent()
    {
        const int Total = 64 * 1024 * 1024;
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using FiberSocket listener = Net.Listen();
            using FiberSocket client = Net.ConnectTo(listener);
            using FiberSocket server = listener.Accept();   // never reads
            Fiber sender = Fiber.Spawn(() => client.SendAll(new byte[Total]));
            Fiber.Yield();   // it sends what the buffers take, then waits
            sender.Cancel();
            var e = Assert.IsType<IOCancelledException>(sender.Exception);
            trace.Add($"{sender.State}; some sent: {e.BytesSent > 0}; not all: {e.BytesSent < Total}; inner: {e.InnerException?.GetType().Name}");
            // Everything reported sent reaches the peer.
            client.Shutdown(SocketShutdown.Send);
            trace.Add($"peer received exactly BytesSent: {Net.ReceiveToEnd(server).Length == e.BytesSent}");
        });
        trace.Is("Cancelled; some sent: True; not all: True; inner: FiberCancelledException",
                 "peer received exactly BytesSent: True");
    }

    [Fact]
    public void A_timed_out_SendAll_throws_IOTimeoutException_owned_by_its_scope()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using FiberSocket listener = Net.Listen();
            using FiberSocket client = Net.ConnectTo(listener);
            using FiberSocket server = listener.Accept();
            byte[] big = new byte[64 * 1024 * 1024];
            using (IgnoreScope scope = Fiber.IgnoreAfter(K.Ms(50)))
            {
                try
                {
                    client.SendAll(big);
                }
                catch (IOTimeoutException e) when (scope.Owns(e))
                {
                    trace.Add($"timed out after sending some: {e.BytesSent > 0}; expired: {scope.Expired}");
                }
            }
            // The delegate form swallows it too.
            bool finished = Fiber.IgnoreAfter(K.Ms(20), () => client.SendAll(big));
            trace.Add($"IgnoreAfter finished: {finished}");
        });
        trace.Is("timed out after sending some: True; expired: True", "IgnoreAfter finished: False");
    }

    [Fact]
    public void An_interrupted_ReadLine_keeps_the_partial_line_for_the_next_read()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using FiberSocket listener = Net.Listen();
            using FiberSocket client = Net.ConnectTo(listener);
            using FiberSocket server = listener.Accept();
            FiberStream s = client.GetStream();
            server.SendAll("partial"u8);
            try
            {
                Fiber.TimeoutAfter(K.Ms(30), () => s.ReadLine());
            }
            catch (IOTimeoutException e)
            {
                trace.Add($"timed out with {e.BytesReceived} byte(s) of the line; buffered {s.BufferedCount}");
            }
            server.SendAll(" line\nnext\n"u8);
            trace.Add($"then: '{s.ReadLine()}', '{s.ReadLine()}'");
            // Cancellation: the partial line is returned by a plain Read afterwards.
            server.SendAll("xyz"u8);
            Fiber reader = Fiber.Spawn(() => s.ReadLine());
            Fiber.Yield();   // it reads "xyz" (already delivered over loopback), then waits for the rest
            reader.Cancel();
            var c = Assert.IsType<IOCancelledException>(reader.Exception);
            trace.Add($"cancelled with {c.BytesReceived} byte(s) of the line");
            var buf = new byte[100];
            int n = s.Read(buf);
            trace.Add($"read returns '{Encoding.UTF8.GetString(buf, 0, n)}'");
        });
        trace.Is("timed out with 7 byte(s) of the line; buffered 7",
                 "then: 'partial line', 'next'",
                 "cancelled with 3 byte(s) of the line",
                 "read returns 'xyz'");
    }

    [Fact]
    public void An_interrupted_ReadExactly_reports_the_bytes_already_in_the_buffer()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using FiberSocket listener = Net.Listen();
            using FiberSocket client = Net.ConnectTo(listener);
            using FiberSocket server = listener.Accept();
            server.SendAll("0123456789"u8);
            var buf = new byte[20];
            try
            {
                using (Fiber.TimeoutAfter(K.Ms(30)))
                    client.GetStream().ReadExactly(buf);
            }
            catch (IOTimeoutException e)
            {
                trace.Add($"stream: {e.BytesReceived} byte(s): '{Encoding.UTF8.GetString(buf, 0, (int)e.BytesReceived)}'");
            }
            server.SendAll("abc"u8);
            try
            {
                using (Fiber.TimeoutAfter(K.Ms(30)))
                    client.ReceiveExactly(buf);
            }
            catch (IOTimeoutException e)
            {
                trace.Add($"socket: {e.BytesReceived} byte(s): '{Encoding.UTF8.GetString(buf, 0, (int)e.BytesReceived)}'");
            }
        });
        trace.Is("stream: 10 byte(s): '0123456789'", "socket: 3 byte(s): 'abc'");
    }

    [Fact]
    public void A_connect_that_cannot_complete_times_out_and_the_next_works()
    {
        // A listener with backlog 1 that never accepts: the kernel completes a couple of handshakes for
        // its queue, then drops further SYNs, so a later connect stays in progress until it times out.
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using FiberSocket full = Net.Listen(backlog: 1);
            var held = new List<FiberSocket>();
            bool timedOut = false;
            for (int i = 0; i < 8 && !timedOut; i++)
            {
                timedOut = !Fiber.IgnoreAfter(K.Ms(100), () => held.Add(Net.ConnectTo(full)));
            }
            trace.Add($"a connect timed out: {timedOut}");
            // The same through TimeoutAfter: FiberTimeoutException leaves ConnectTcp.
            var e = Assert.Throws<FiberTimeoutException>(() => Fiber.TimeoutAfter(K.Ms(50), () => Net.ConnectTo(full)));
            trace.Add($"TimeoutAfter: {e.StackTrace!.Contains("ConnectTcp", StringComparison.Ordinal)}");
            foreach (FiberSocket s in held)
                s.Dispose();
            using FiberSocket other = Net.Listen();
            using FiberSocket ok = Net.ConnectTo(other);
            trace.Add($"a later connect works: {ok.RemoteEndPoint!.Equals(other.LocalEndPoint)}");
        });
        trace.Is("a connect timed out: True", "TimeoutAfter: True", "a later connect works: True");
    }

    [Fact]
    public void A_pending_cancellation_is_delivered_on_entry_even_when_data_is_ready()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using FiberSocket listener = Net.Listen();
            using FiberSocket client = Net.ConnectTo(listener);
            using FiberSocket server = listener.Accept();
            server.SendAll("ready"u8);
            Fiber.Sleep(K.Ms(5));
            Fiber f = Fiber.Spawn(() =>
            {
                Fiber.Current.Cancel(wait: false);
                try { client.Receive(new byte[10]); trace.Add("received"); }
                catch (FiberCancelledException) { trace.Add("cancelled on entry"); }
                trace.Add($"then: {client.Receive(new byte[10])} byte(s)");
            });
            f.Join();
        });
        trace.Is("cancelled on entry", "then: 5 byte(s)");
    }
}

using System.Net;
using System.Net.Sockets;
using Thredo.Native;

namespace Thredo.Tests.Native;

/// <summary>
/// Requests the native fiber host once could not serve: each used to throw on the host's thread and end
/// the process. Every one now comes back to the fiber that asked (a result, or a negative errno).
/// </summary>
public class NativeRequestFailureTests
{
    [Fact]
    public void A_sleep_of_INT64_MAX_ms_is_a_sleep_forever_that_cancellation_ends() =>
        K.Run(() =>
        {
            var f = NativeFiber.Spawn(NativeEntries.Sleep, nint.MaxValue);
            K.UntilBlocked(f);
            f.Cancel();
            Assert.Equal(FiberState.Cancelled, f.State);
        });

    [Fact]
    public void A_timeout_scope_of_INT64_MAX_ms_never_expires() =>
        K.Run(() => Assert.Equal(0, NativeFiber.Spawn(NativeEntries.HugeTimeout, 0).Join()));

    [Fact]
    public void Two_native_fibers_reading_one_socket_are_both_served_and_share_the_bytes() =>
        K.Run(() =>
        {
            (Socket client, Socket server) = Pair();
            using (client)
            using (server)
            {
                var a = NativeFiber.Spawn(NativeEntries.ReadAll, server.Handle);
                var b = NativeFiber.Spawn(NativeEntries.ReadAll, server.Handle);
                K.UntilBlocked(a, b);   // both parked on the same descriptor
                for (int i = 0; i < 10; i++)
                {
                    client.Send(new byte[1000]);
                    Fiber.Sleep(K.Ms(1));
                }
                client.Shutdown(SocketShutdown.Send);
                Assert.Equal(10_000, a.Join() + b.Join());
            }
        });

    [Fact]
    public void Two_native_fibers_writing_to_one_full_socket_both_finish() =>
        K.Run(() =>
        {
            (Socket client, Socket server) = Pair();
            using (client)
            using (server)
            {
                var a = NativeFiber.Spawn(NativeEntries.WriteMegabyte, client.Handle);
                var b = NativeFiber.Spawn(NativeEntries.WriteMegabyte, client.Handle);
                var buffer = new byte[65536];
                long received = 0;
                server.Blocking = false;
                while (received < 2 << 20)
                {
                    int n = server.Receive(buffer, SocketFlags.None, out SocketError error);
                    if (error == SocketError.WouldBlock)
                        Fiber.Sleep(K.Ms(1));   // the writers wait for room meanwhile
                    else
                        received += n;
                }
                Assert.Equal(1 << 20, a.Join());
                Assert.Equal(1 << 20, b.Join());
            }
        });

    [Fact]
    public void Cancelling_a_native_fiber_in_a_managed_call_cancels_the_call_too() =>
        K.Run(() =>
        {
            var trace = new Trace();
            long id = NativeFiber.RegisterCallback(_ =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
                finally { trace.Add("callback cleaned up"); }
                return 0;
            });
            try
            {
                var f = NativeFiber.Spawn(NativeEntries.CallManaged, (nint)id);
                Fiber.Sleep(K.Ms(5));   // the callback runs and sleeps; the native fiber waits for it
                f.Cancel();
                Assert.Equal(FiberState.Cancelled, f.State);
                Fiber.Sleep(K.Ms(5));
                trace.Is("callback cleaned up");
            }
            finally { NativeFiber.UnregisterCallback(id); }
        });

    private static (Socket Client, Socket Server) Pair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        return (client, listener.Accept());
    }
}

using System.Net;
using System.Net.Sockets;
using Thredo.Native;

namespace Thredo.Tests.Native;

public class NativeFiberTests
{
    private const long ECANCELED = 125, ETIMEDOUT = 110;

    [Fact]
    public void A_native_fiber_returns_its_C_result_through_Join() =>
        K.Run(() => Assert.Equal(5, NativeFiber.Spawn(NativeEntries.Sleep, 5).Join()));

    [Fact]
    public void Native_sleeps_wake_in_deadline_order_alongside_managed_ones()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var n30 = NativeFiber.Spawn(NativeEntries.Sleep, 30);
            var m20 = Fiber.Spawn(() => { Fiber.Sleep(K.Ms(20)); trace.Add("managed 20"); });
            var n10 = NativeFiber.Spawn(NativeEntries.Sleep, 10);
            trace.Add($"native {n10.Join()}");
            m20.Join();
            trace.Add($"native {n30.Join()}");
        });
        trace.Is("native 10", "managed 20", "native 30");
    }

    [Fact]
    public void Native_and_managed_fibers_interleave_on_one_kernel_through_yields()
    {
        K.Run(() =>
        {
            var natives = Enumerable.Range(0, 20).Select(_ => NativeFiber.Spawn(NativeEntries.YieldAndId, 50)).ToList();
            int managedTurns = 0;
            var managed = Fiber.Spawn(() => { for (int i = 0; i < 50; i++) { managedTurns++; Fiber.Yield(); } });
            foreach (var f in natives)
                Assert.Equal(f.Id, f.Join());   // thredo_current() is the fiber's Id
            managed.Join();
            Assert.Equal(50, managedTurns);
        });
    }

    [Fact]
    public void Cancelling_a_native_fiber_returns_ECANCELED_to_the_C_code_which_then_returns() =>
        K.Run(() =>
        {
            var f = NativeFiber.Spawn(NativeEntries.SleepUntilInterrupted, 0);
            Fiber.Sleep(K.Ms(5));
            f.Cancel();
            Assert.Equal(FiberState.Cancelled, f.State);
            Assert.IsType<FiberCancelledException>(Assert.Throws<FiberFailedException>(() => f.Join()).InnerException);
        });

    [Fact]
    public void A_native_timeout_scope_makes_the_blocking_call_return_ETIMEDOUT() =>
        K.Run(() => Assert.Equal(-ETIMEDOUT, NativeFiber.Spawn(NativeEntries.TimeoutScope, 10).Join()));

    [Fact]
    public void A_managed_timeout_around_Join_times_out_the_joiner_not_the_native_fiber() =>
        K.Run(() =>
        {
            var f = NativeFiber.Spawn(NativeEntries.Sleep, 30);
            Assert.Throws<FiberTimeoutException>(() => Fiber.TimeoutAfter(K.Ms(5), () => f.Join()));
            Assert.Equal(30, f.Join());
        });

    [Fact]
    public void A_native_read_waits_on_the_kernel_poller_until_the_peer_writes()
    {
        K.Run(() =>
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(listener.LocalEndPoint!);
            using var server = listener.Accept();
            var reader = NativeFiber.Spawn(NativeEntries.ReadAll, server.Handle);
            for (int i = 0; i < 3; i++)
            {
                Fiber.Sleep(K.Ms(5));   // the native reader is parked on the poller meanwhile
                Assert.Equal(FiberState.Blocked, reader.State);
                client.Send(new byte[1000]);
            }
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(3000, reader.Join());
        });
    }

    [Fact]
    public void A_native_fiber_can_call_managed_code_that_blocks() =>
        K.Run(() =>
        {
            long id = NativeFiber.RegisterCallback(x => { Fiber.Sleep(K.Ms(5)); return x + 1; });
            try { Assert.Equal(21, NativeFiber.Spawn(NativeEntries.CallManaged, (nint)id).Join()); }
            finally { NativeFiber.UnregisterCallback(id); }
        });

    [Fact]
    public void A_nested_managed_callback_returns_its_result() =>
        K.Run(() =>
        {
            long id = NativeFiber.RegisterCallback(x => x * 2);
            try { Assert.Equal(40, NativeFiber.Spawn(NativeEntries.CallNested, (nint)id).Join()); }
            finally { NativeFiber.UnregisterCallback(id); }
        });

    [Fact]
    public void Calling_an_unknown_callback_returns_ENOENT() =>
        K.Run(() => Assert.Equal(-2, NativeFiber.Spawn(NativeEntries.CallManaged, 987654321).Join()));

    [Fact]
    public void Native_fibers_parked_across_compacting_collections_are_unaffected() =>
        K.Run(() =>
        {
            var keep = Enumerable.Range(0, 1000).Select(i => new int[] { i }).ToArray();
            var natives = Enumerable.Range(0, 200).Select(i => NativeFiber.Spawn(NativeEntries.Sleep, 1 + i % 20)).ToList();
            for (int i = 0; i < 10; i++)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                Fiber.Sleep(K.Ms(2));
            }
            for (int i = 0; i < natives.Count; i++)
                Assert.Equal(1 + i % 20, natives[i].Join());
            for (int i = 0; i < keep.Length; i++)
                Assert.Equal(i, keep[i][0]);
        });

    [Fact]
    public void Spawn_checks_its_arguments() =>
        K.Run(() =>
        {
            Assert.Equal("entry", Assert.Throws<ArgumentException>(() => NativeFiber.Spawn(0, 0)).ParamName);
            Assert.Equal("stackSizeBytes", Assert.Throws<ArgumentOutOfRangeException>(() => NativeFiber.Spawn(NativeEntries.Sleep, 0, 100)).ParamName);
            Assert.Equal("callback", Assert.Throws<ArgumentNullException>(() => NativeFiber.RegisterCallback(null!)).ParamName);
        });

    [Fact]
    public void Many_native_fibers_park_on_timers_and_all_finish()
    {
        const int count = 100_000;
        long before = 0, parked = 0;
        K.Run(() =>
        {
            before = Rss();
            var fs = new Fiber<long>[count];
            for (int i = 0; i < count; i++)
                fs[i] = NativeFiber.Spawn(NativeEntries.Sleep, 60_000, 16 * 1024);
            // They run once main blocks; wait until every one of them is parked in its sleep.
            while (fs.Count(f => f.State == FiberState.Blocked) < count)
            {
                Assert.DoesNotContain(fs, f => f.IsCompleted);
                Fiber.Sleep(K.Ms(20));
            }
            parked = Rss();
            foreach (var f in fs)
                f.Cancel(wait: false);   // end the long sleeps: each C call returns -ECANCELED
            foreach (var f in fs)
                f.Wait();
            Assert.All(fs, f => Assert.Equal(FiberState.Cancelled, f.State));
        });
        Console.WriteLine($"{count} native fibers with 16 KiB stacks parked: {(parked - before) / count} bytes RSS each");
    }

    private static long Rss() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
}

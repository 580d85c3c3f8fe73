namespace Thredo.Tests.Sync;

public class FiberEventTests
{
    [Fact]
    public void Set_releases_every_waiter_in_arrival_order()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var e = new FiberEvent();
            var fs = new[] { "a", "b", "c" }.Select(n => Fiber.Spawn(() => { e.Wait(); trace.Add(n); })).ToList();
            Fiber.Yield();
            trace.Add($"{e}");
            e.Set();
            trace.Add($"{e}");
            fs.ForEach(f => f.Join());
        });
        trace.Is("FiberEvent(clear, 3 waiting)", "FiberEvent(set, 0 waiting)", "a", "b", "c");
    }

    [Fact]
    public void Wait_on_a_set_event_returns_at_once_without_letting_others_run()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var e = new FiberEvent();
            e.Set();
            var f = Fiber.Spawn(() => trace.Add("other"));
            e.Wait();
            e.Wait();
            trace.Add("main passed");
            f.Join();
            Assert.True(e.IsSet);
        });
        trace.Is("main passed", "other");
    }

    [Fact]
    public void Clear_makes_later_waits_block_until_the_next_Set()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var e = new FiberEvent();
            e.Set();
            e.Clear();
            Assert.False(e.IsSet);
            var f = Fiber.Spawn(() => { e.Wait(); trace.Add("released"); });
            Fiber.Yield();
            trace.Add("setting");
            e.Set();
            f.Join();
        });
        trace.Is("setting", "released");
    }

    [Fact]
    public void Set_and_Clear_are_idempotent() =>
        K.Run(() =>
        {
            var e = new FiberEvent();
            e.Clear();
            Assert.False(e.IsSet);
            e.Set();
            e.Set();
            Assert.True(e.IsSet);
            e.Clear();
            e.Clear();
            Assert.False(e.IsSet);
        });

    [Fact]
    public void A_pending_cancellation_is_delivered_by_Wait_even_when_the_event_is_set() =>
        K.Run(() =>
        {
            var e = new FiberEvent();
            e.Set();
            var f = Fiber.Spawn(() =>
            {
                using (Fiber.TimeoutAfter(K.Ms(1)))
                {
                    K.Compute(5);   // the deadline passes during computation
                    e.Wait();
                }
            });
            Assert.IsType<FiberTimeoutException>(Assert.Throws<FiberFailedException>(f.Join).InnerException);
        });

    [Fact]
    public void A_cancelled_waiter_leaves_no_trace_and_the_others_are_still_released()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var e = new FiberEvent();
            var a = Fiber.Spawn(() => { e.Wait(); trace.Add("a"); });
            var b = Fiber.Spawn(() => { e.Wait(); trace.Add("b"); });
            Fiber.Yield();
            a.Cancel();
            trace.Add($"{e}");
            e.Set();
            b.Join();
            Assert.Equal(FiberState.Cancelled, a.State);
        });
        trace.Is("FiberEvent(clear, 1 waiting)", "b");
    }

    [Fact]
    public void A_plain_thread_blocks_in_Wait_until_a_fiber_sets_the_event() =>
        K.Run(() =>
        {
            var e = new FiberEvent();
            var waited = Task.Run(() => { e.Wait(); return e.IsSet; });
            while (!e.ToString().Contains("1 waiting", StringComparison.Ordinal))
                Fiber.Sleep(K.Ms(1));
            e.Set();
            Assert.True(Fiber.Await(waited));
        });

    [Fact]
    public void A_fiber_waits_for_an_event_a_plain_thread_sets() =>
        K.Run(() =>
        {
            var e = new FiberEvent();
            var thread = new Thread(() => { Thread.Sleep(20); e.Set(); });
            thread.Start();
            e.Wait();
            Assert.True(e.IsSet);
            Fiber.RunBlocking(thread.Join);
        });

    [Fact]
    public async Task WaitAsync_completes_when_a_fiber_sets_the_event()
    {
        var e = new FiberEvent();
        Task waiting = e.WaitAsync();
        Assert.False(waiting.IsCompleted);
        var run = Task.Run(() => K.Run(() => { Fiber.Sleep(K.Ms(5)); e.Set(); }));
        await waiting;
        await run;
        Assert.True(e.WaitAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitAsync_with_a_cancelled_token_is_cancelled_and_leaves_no_waiter()
    {
        var e = new FiberEvent();
        using var cts = new CancellationTokenSource();
        Task waiting = e.WaitAsync(cts.Token);
        Assert.Equal("FiberEvent(clear, 1 waiting)", e.ToString());
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal("FiberEvent(clear, 0 waiting)", e.ToString());
    }
}

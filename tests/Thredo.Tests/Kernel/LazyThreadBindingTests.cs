namespace Thredo.Tests.Kernel;

/// <summary>A fiber is a queue entry until it first runs; a thread is bound only to a fiber that blocks.</summary>
public class LazyThreadBindingTests
{
    [Fact]
    public void A_spawned_fiber_has_no_thread_until_it_first_runs() =>
        K.RunOneKernel(() =>
        {
            var f = Fiber.Spawn(() => { });
            Assert.Null(f.Thread);
            Assert.True(f.IsFresh);
            f.Join();
            Assert.NotNull(f.Thread);
        });

    [Fact]
    public void Fibers_that_never_block_run_one_after_another_on_one_thread()
    {
        const int count = 1_000;
        var threads = new int[count];
        K.RunOneKernel(() =>
        {
            var fibers = new Fiber[count];
            for (int i = 0; i < count; i++)
            {
                int n = i;
                fibers[i] = Fiber.Spawn(() => threads[n] = Environment.CurrentManagedThreadId);
            }
            foreach (Fiber f in fibers)
                f.Join();
            Assert.DoesNotContain(Environment.CurrentManagedThreadId, threads);   // main blocked: they ran elsewhere
        });
        Assert.Single(threads.Distinct());   // the first was dispatched to a thread; the rest ran inline on it
    }

    [Fact]
    public void Inline_runs_keep_spawn_order_and_a_blocked_fiber_keeps_its_thread()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var sleeper = Fiber.Spawn(() =>
            {
                int before = Environment.CurrentManagedThreadId;
                trace.Add("sleeper sleeps");
                Fiber.Sleep(K.Ms(20));
                trace.Add(before == Environment.CurrentManagedThreadId ? "sleeper woke on its own thread" : "sleeper moved");
            });
            var quick = Enumerable.Range(0, 3).Select(i => Fiber.Spawn(() => trace.Add($"quick {i}"))).ToList();
            quick.ForEach(f => f.Join());
            sleeper.Join();
        });
        trace.Is("sleeper sleeps", "quick 0", "quick 1", "quick 2", "sleeper woke on its own thread");
    }

    [Fact]
    public void A_failing_fiber_run_inline_does_not_disturb_the_next_one() =>
        K.RunOneKernel(() =>
        {
            var bad = Fiber.Spawn(() => throw new InvalidDataException("boom"));
            var good = Fiber.Spawn(() => 42);
            Assert.IsType<InvalidDataException>(Assert.Throws<FiberFailedException>(() => bad.Join()).InnerException);
            Assert.Equal(42, good.Join());
        });

    [Fact]
    public void A_fresh_fiber_cancelled_before_it_runs_ends_Cancelled_without_running() =>
        K.Run(() =>
        {
            bool ran = false;
            var f = Fiber.Spawn(() => { Fiber.Yield(); ran = true; });
            f.Cancel(wait: false);
            f.Wait();
            Assert.Equal(FiberState.Cancelled, f.State);
            Assert.False(ran);
        });
}

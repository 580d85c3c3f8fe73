namespace Thredo.Tests;

public class FiberTests
{
    [Fact]
    public void Run_returns_what_main_returns() => Assert.Equal(42, K.Run(() => 42));

    [Fact]
    public void Run_rejects_a_null_main()
    {
        Assert.Equal("main", Assert.Throws<ArgumentNullException>(() => Fiber.Run(null!)).ParamName);
        Assert.Equal("main", Assert.Throws<ArgumentNullException>(() => Fiber.Run<int>(null!)).ParamName);
    }

    [Fact]
    public void Run_from_a_fiber_is_refused() =>
        K.Run(() => Assert.Throws<InvalidOperationException>(() => Fiber.Run(() => { })));

    [Fact]
    public void Spawn_off_a_fiber_is_refused() =>
        Assert.Throws<InvalidOperationException>(() => Fiber.Spawn(() => { }));

    [Fact]
    public void Spawn_rejects_a_null_body() =>
        K.Run(() => Assert.Equal("body", Assert.Throws<ArgumentNullException>(() => Fiber.Spawn(null!)).ParamName));

    [Fact]
    public void Current_is_the_running_fiber_and_throws_off_a_fiber()
    {
        Assert.False(Fiber.IsOnFiber);
        Assert.Throws<InvalidOperationException>(() => Fiber.Current);
        K.Run(() =>
        {
            Assert.True(Fiber.IsOnFiber);
            Fiber main = Fiber.Current;
            Fiber child = Fiber.Spawn(() => Assert.NotSame(main, Fiber.Current), "child");
            child.Join();
            Assert.Equal("main", main.Name);
            Assert.Equal("child", child.Name);
        });
    }

    [Fact]
    public void Options_are_checked_with_the_property_name()
    {
        Assert.Equal("Schedulers", Assert.Throws<ArgumentOutOfRangeException>(() => Fiber.Run(() => { }, new FiberOptions { Schedulers = 0 })).ParamName);
        Assert.Equal("StackSizeBytes", Assert.Throws<ArgumentOutOfRangeException>(() => Fiber.Run(() => { }, new FiberOptions { StackSizeBytes = 1024 })).ParamName);
        Assert.Equal("ParkSpinIterations", Assert.Throws<ArgumentOutOfRangeException>(() => Fiber.Run(() => { }, new FiberOptions { ParkSpinIterations = -1 })).ParamName);
    }

    [Fact]
    public void Fibers_hand_off_correctly_when_parked_threads_spin_first()
    {
        var trace = new Trace();
        Fiber.Run(() =>
        {
            var ping = new FiberQueue<int>();
            var pong = new FiberQueue<int>();
            var partner = Fiber.Spawn(() => { for (int i = 0; i < 1000; i++) pong.Put(ping.Get() + 1); });
            int last = 0;
            for (int i = 0; i < 1000; i++) { ping.Put(last); last = pong.Get(); }
            partner.Join();
            trace.Add($"last {last}");
        }, K.Options with { ParkSpinIterations = 2000 });
        trace.Is("last 1000");
    }

    [Fact]
    public void Spawned_fibers_start_in_spawn_order_when_the_spawner_blocks()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                int n = i;
                Fiber.Spawn(() => trace.Add($"f{n}"));
            }
            trace.Add("spawned");
            Fiber.Yield();
            trace.Add("main");
        });
        trace.Is("spawned", "f0", "f1", "f2", "main");
    }

    [Fact]
    public void Sleepers_wake_in_deadline_order()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            // Deadlines from one start, 100 ms apart: a loaded machine that starts the fibers late
            // does not reorder them.
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            var fs = new[] { 300, 100, 200 }.Select(ms => Fiber.Spawn(() =>
            {
                TimeSpan left = K.Ms(ms) - System.Diagnostics.Stopwatch.GetElapsedTime(start);
                Fiber.Sleep(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                trace.Add($"{ms}");
            })).ToList();
            fs.ForEach(f => f.Join());
        });
        trace.Is("100", "200", "300");
    }

    [Fact]
    public void Yield_lets_every_other_runnable_fiber_go_first()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var a = Fiber.Spawn(() => { trace.Add("a1"); Fiber.Yield(); trace.Add("a2"); });
            var b = Fiber.Spawn(() => { trace.Add("b1"); Fiber.Yield(); trace.Add("b2"); });
            a.Join();
            b.Join();
        });
        trace.Is("a1", "b1", "a2", "b2");
    }

    [Fact]
    public void Sleep_rejects_a_negative_delay() =>
        K.Run(() => Assert.Equal("delay", Assert.Throws<ArgumentOutOfRangeException>(() => Fiber.Sleep(TimeSpan.FromSeconds(-1))).ParamName));

    [Fact]
    public void Join_returns_the_result_and_the_state_is_Completed() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() => "done");
            Assert.Equal(FiberState.Ready, f.State);
            Assert.Equal("done", f.Join());
            Assert.Equal(FiberState.Completed, f.State);
            Assert.True(f.IsCompleted);
            Assert.Equal("done", f.Result);
            Assert.Null(f.Exception);
        });

    [Fact]
    public void A_blocked_fiber_reports_Blocked() =>
        K.RunOneKernel(() =>
        {
            var f = Fiber.Spawn(() => Fiber.Sleep(K.Ms(50)));
            Fiber.Yield();
            Assert.Equal(FiberState.Blocked, f.State);
            f.Join();
        });

    [Fact]
    public void Join_of_a_failed_fiber_throws_FiberFailedException_with_the_cause() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() => throw new InvalidDataException("bad"));
            var e = Assert.Throws<FiberFailedException>(() => f.Join());
            Assert.IsType<InvalidDataException>(e.InnerException);
            Assert.Same(f, e.Fiber);
            Assert.Equal(FiberState.Faulted, f.State);
            Assert.Same(e.InnerException, f.Exception);
        });

    [Fact]
    public void Wait_never_throws_for_the_fibers_own_failure() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() => throw new InvalidDataException("bad"));
            f.Wait();
            Assert.Equal(FiberState.Faulted, f.State);
        });

    [Fact]
    public void A_fiber_cannot_join_itself() =>
        K.Run(() => Assert.Throws<InvalidOperationException>(() => Fiber.Current.Join()));

    [Fact]
    public void Result_before_the_end_throws() =>
        K.RunOneKernel(() =>
        {
            var f = Fiber.Spawn(() => 1);
            Assert.Throws<InvalidOperationException>(() => f.Result);
            f.Join();
        });

    [Fact]
    public void Main_failure_is_raised_from_Run_as_FiberFailedException()
    {
        var e = Assert.Throws<FiberFailedException>(() => K.Run(() => throw new InvalidDataException("main broke")));
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Fact]
    public void Fibers_still_running_when_main_ends_are_cancelled_and_clean_up()
    {
        var trace = new Trace();
        Fiber? straggler = null;
        K.RunOneKernel(() =>
        {
            straggler = Fiber.Spawn(() =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
                finally { trace.Add("cleanup"); }
            });
            Fiber.Yield();
            trace.Add("main ends");
        });
        trace.Is("main ends", "cleanup");
        Assert.Equal(FiberState.Cancelled, straggler!.State);
    }

    [Fact]
    public void AsyncLocal_flows_from_spawner_to_spawned_fiber()
    {
        var local = new AsyncLocal<string>();
        local.Value = "outer";
        string? seenInMain = null, seenInChild = null, seenAfterChange = null;
        K.Run(() =>
        {
            seenInMain = local.Value;
            local.Value = "main";
            Fiber.Spawn(() => { seenInChild = local.Value; local.Value = "child"; }).Join();
            seenAfterChange = local.Value;
        });
        Assert.Equal("outer", seenInMain);
        Assert.Equal("main", seenInChild);
        Assert.Equal("main", seenAfterChange);
    }

    [Fact]
    public async Task JoinAsync_completes_for_async_callers_and_faults_like_Join()
    {
        Task ok = null!, bad = null!;
        K.Run(() =>
        {
            var f = Fiber.Spawn(() => Fiber.Sleep(K.Ms(5)));
            var g = Fiber.Spawn(() => throw new InvalidDataException());
            ok = f.JoinAsync();
            bad = g.JoinAsync();
            f.Wait();
            g.Wait();
        });
        await ok;
        var e = await Assert.ThrowsAsync<FiberFailedException>(() => bad);
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Fact]
    public void A_plain_thread_can_join_a_fiber() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() => { Fiber.Sleep(K.Ms(20)); return 5; });
            int seen = 0;
            var t = new Thread(() => { f.Wait(); seen = f.Result; });
            t.Start();
            f.Join();
            Fiber.RunBlocking(t.Join);
            Assert.Equal(5, seen);
        });

    [Fact]
    public void Several_schedulers_run_every_fiber()
    {
        int sum = Fiber.Run(() =>
        {
            var fs = Enumerable.Range(1, 100).Select(i => Fiber.Spawn(() => { Fiber.Sleep(K.Ms(i % 7)); return i; })).ToList();
            return fs.Sum(f => f.Join());
        }, K.Options with { Schedulers = 2 });
        Assert.Equal(5050, sum);
    }
}

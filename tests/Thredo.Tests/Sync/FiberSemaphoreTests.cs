namespace Thredo.Tests.Sync;

public class FiberSemaphoreTests
{
    [Fact]
    public void Acquire_takes_a_free_permit_without_blocking_and_blocks_when_none_is_left()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var sem = new FiberSemaphore(2);
            sem.Acquire();
            sem.Acquire();
            trace.Add($"count {sem.Count}");
            var f = Fiber.Spawn(() => { trace.Add("third waits"); sem.Acquire(); trace.Add("third got one"); });
            Fiber.Yield();
            trace.Add("release");
            sem.Release();
            trace.Add($"count after hand-off {sem.Count}");
            f.Join();
        });
        trace.Is("count 0", "third waits", "release", "count after hand-off 0", "third got one");
    }

    [Fact]
    public void The_default_semaphore_has_one_permit_and_no_maximum() =>
        K.Run(() =>
        {
            var sem = new FiberSemaphore();
            Assert.Equal(1, sem.Count);
            sem.Release();
            sem.Release();
            Assert.Equal(3, sem.Count);
        });

    [Fact]
    public void Release_past_the_maximum_throws_SemaphoreFullException_and_keeps_the_count() =>
        K.Run(() =>
        {
            var sem = new FiberSemaphore(1, max: 2);
            sem.Release();
            Assert.Throws<SemaphoreFullException>(sem.Release);
            Assert.Equal(2, sem.Count);
            sem.Acquire();
            sem.Release();
            Assert.Equal(2, sem.Count);
        });

    [Fact]
    public void Release_to_a_waiter_is_allowed_at_the_maximum_because_the_permit_is_handed_over() =>
        K.Run(() =>
        {
            var sem = new FiberSemaphore(0, max: 1);
            var f = Fiber.Spawn(sem.Acquire);
            Fiber.Yield();
            sem.Release();
            f.Join();
            sem.Release();
            Assert.Throws<SemaphoreFullException>(sem.Release);
        });

    [Fact]
    public void TryAcquire_takes_a_free_permit_and_returns_false_when_none_is_free() =>
        K.Run(() =>
        {
            var sem = new FiberSemaphore(1);
            Assert.True(sem.TryAcquire());
            Assert.False(sem.TryAcquire());
            Assert.Equal(0, sem.Count);
        });

    [Fact]
    public void Waiters_get_permits_in_arrival_order()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var sem = new FiberSemaphore(0);
            var fs = new[] { "a", "b", "c" }.Select(n => Fiber.Spawn(() => { sem.Acquire(); trace.Add(n); })).ToList();
            Fiber.Yield();
            for (int i = 0; i < 3; i++)
                sem.Release();
            Assert.False(sem.TryAcquire());   // every permit went to a waiter, none to the free count
            fs.ForEach(f => f.Join());
        });
        trace.Is("a", "b", "c");
    }

    [Fact]
    public void A_cancelled_Acquire_takes_no_permit_and_the_release_goes_to_the_next_waiter()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var sem = new FiberSemaphore(0);
            var a = Fiber.Spawn(() => { sem.Acquire(); trace.Add("a got one"); });
            var b = Fiber.Spawn(() => { sem.Acquire(); trace.Add("b got one"); });
            Fiber.Yield();
            a.Cancel();
            trace.Add($"{sem}");
            sem.Release();
            b.Join();
            sem.Release();
            trace.Add($"count {sem.Count}");
        });
        trace.Is("FiberSemaphore(0 free, 1 waiting)", "b got one", "count 1");
    }

    [Fact]
    public void A_timed_out_Acquire_takes_no_permit() =>
        K.Run(() =>
        {
            var sem = new FiberSemaphore(0, max: 1);
            Assert.False(Fiber.IgnoreAfter(K.Ms(10), sem.Acquire));
            sem.Release();
            Assert.Equal(1, sem.Count);
        });

    [Fact]
    public void A_release_from_a_plain_thread_wakes_a_waiting_fiber() =>
        K.Run(() =>
        {
            var sem = new FiberSemaphore(0);
            var thread = new Thread(() => { Thread.Sleep(20); sem.Release(); });
            thread.Start();
            sem.Acquire();
            Assert.Equal(0, sem.Count);
            Fiber.RunBlocking(thread.Join);
        });

    [Fact]
    public void A_plain_thread_blocks_in_Acquire_until_a_fiber_releases() =>
        K.Run(() =>
        {
            var sem = new FiberSemaphore(0);
            var got = Task.Run(() => { sem.Acquire(); return sem.Count; });
            while (!sem.ToString().Contains("1 waiting", StringComparison.Ordinal))
                Fiber.Sleep(K.Ms(1));
            sem.Release();
            Assert.Equal(0, Fiber.Await(got));
        });

    [Fact]
    public void Arguments_are_checked_with_their_names()
    {
        Assert.Equal("initial", Assert.Throws<ArgumentOutOfRangeException>(() => new FiberSemaphore(-1)).ParamName);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => new FiberSemaphore(0, 0)).ParamName);
        Assert.Equal("initial", Assert.Throws<ArgumentOutOfRangeException>(() => new FiberSemaphore(3, 2)).ParamName);
    }

    [Fact]
    public void A_waiter_in_Acquire_is_reported_with_the_permits_in_a_deadlock()
    {
        var e = Assert.Throws<FiberDeadlockException>(() => K.Run(() => new FiberSemaphore(0, max: 4).Acquire()));
        Assert.Contains("'main' is blocked in Acquire on FiberSemaphore(0/4 free, 1 waiting)", e.Message);
    }
}

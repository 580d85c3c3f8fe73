namespace Thredo.Tests.Sync;

public class FiberLockTests
{
    [Fact]
    public void Release_hands_the_lock_to_waiters_in_arrival_order()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var lk = new FiberLock();
            lk.Acquire();
            var fs = new[] { "a", "b", "c" }.Select(n => Fiber.Spawn(() =>
            {
                trace.Add($"{n} waits");
                using (lk.Acquire())
                {
                    trace.Add($"{n} holds");
                    Fiber.Yield();   // holding across a switch: the others stay queued
                }
            })).ToList();
            Fiber.Yield();
            trace.Add("main releases");
            lk.Release();
            fs.ForEach(f => f.Join());
            Assert.False(lk.IsLocked);
        });
        trace.Is("a waits", "b waits", "c waits", "main releases", "a holds", "b holds", "c holds");
    }

    [Fact]
    public void Release_hands_the_lock_over_at_once_so_the_releaser_cannot_barge_back_in() =>
        K.RunOneKernel(() =>
        {
            var lk = new FiberLock();
            lk.Acquire();
            var waiter = Fiber.Spawn(() => { using (lk.Acquire()) { } });
            Fiber.Yield();
            lk.Release();
            Assert.True(lk.IsLocked);           // owned by the waiter before it even runs
            Assert.False(lk.TryAcquire());
            waiter.Join();
            Assert.True(lk.TryAcquire());
        });

    [Fact]
    public void TryAcquire_takes_a_free_lock_and_refuses_a_held_one_even_to_its_owner() =>
        K.Run(() =>
        {
            var lk = new FiberLock();
            Assert.True(lk.TryAcquire());
            Assert.True(lk.IsLocked);
            Assert.False(lk.TryAcquire());
            Assert.False(Fiber.Spawn(lk.TryAcquire).Join());
            lk.Release();
            Assert.False(lk.IsLocked);
        });

    [Fact]
    public void Acquire_by_the_owner_throws_LockRecursionException_instead_of_waiting_forever() =>
        K.Run(() =>
        {
            var lk = new FiberLock();
            using (lk.Acquire())
                Assert.Throws<LockRecursionException>(() => lk.Acquire());
            Assert.False(lk.IsLocked);
        });

    [Fact]
    public void Release_by_a_fiber_that_does_not_own_the_lock_throws_and_changes_nothing() =>
        K.Run(() =>
        {
            var lk = new FiberLock();
            Assert.Contains("not held", Assert.Throws<InvalidOperationException>(lk.Release).Message);
            lk.Acquire();
            var other = Fiber.Spawn(lk.Release, "other");
            var e = Assert.Throws<FiberFailedException>(other.Join);
            Assert.IsType<InvalidOperationException>(e.InnerException);
            Assert.Contains("held by fiber", e.InnerException!.Message);
            Assert.True(lk.IsLocked);
            lk.Release();
        });

    [Fact]
    public void A_cancelled_Acquire_holds_nothing_and_the_lock_goes_to_the_next_waiter()
    {
        var trace = new Trace();
        long mainId = 0;
        K.RunOneKernel(() =>
        {
            mainId = Fiber.Current.Id;
            var lk = new FiberLock();
            lk.Acquire();
            Fiber Waiter(string n) => Fiber.Spawn(() =>
            {
                try { using (lk.Acquire()) trace.Add($"{n} holds"); }
                catch (FiberCancelledException) { trace.Add($"{n} cancelled"); throw; }
            });
            var a = Waiter("a");
            var b = Waiter("b");
            Fiber.Yield();
            a.Cancel();
            trace.Add($"lock: {lk}");
            lk.Release();
            b.Join();
            Assert.Equal(FiberState.Cancelled, a.State);
            Assert.False(lk.IsLocked);
        });
        trace.Is("a cancelled", $"lock: FiberLock(held by fiber {mainId} 'main', 1 waiting)", "b holds");
    }

    [Fact]
    public void A_timed_out_Acquire_holds_nothing() =>
        K.Run(() =>
        {
            var lk = new FiberLock();
            lk.Acquire();
            var f = Fiber.Spawn(() => Fiber.TimeoutAfter(K.Ms(10), () => { lk.Acquire(); }));
            var e = Assert.Throws<FiberFailedException>(f.Join);
            Assert.IsType<FiberTimeoutException>(e.InnerException);
            lk.Release();
            Assert.False(lk.IsLocked);
        });

    [Fact]
    public void A_pending_cancellation_is_thrown_by_Acquire_even_when_the_lock_is_free() =>
        K.Run(() =>
        {
            var lk = new FiberLock();
            var f = Fiber.Spawn(() => { Fiber.Current.Cancel(wait: false); lk.Acquire(); });
            f.Wait();
            Assert.Equal(FiberState.Cancelled, f.State);
            Assert.False(lk.IsLocked);
        });

    [Fact]
    public void LockScope_Dispose_releases_the_lock_also_when_the_body_throws() =>
        K.Run(() =>
        {
            var lk = new FiberLock();
            using (lk.Acquire())
                Assert.True(lk.IsLocked);
            Assert.False(lk.IsLocked);
            Assert.Throws<InvalidDataException>(void () =>
            {
                using (lk.Acquire())
                    throw new InvalidDataException();
            });
            Assert.False(lk.IsLocked);
        });

    [Fact]
    public void Disposing_a_LockScope_twice_throws_like_a_second_Release() =>
        K.Run(() =>
        {
            var lk = new FiberLock();
            LockScope scope = lk.Acquire();
            scope.Dispose();
            Assert.Throws<InvalidOperationException>(scope.Dispose);
            default(LockScope).Dispose();   // a default scope holds nothing
        });

    [Fact]
    public void A_plain_thread_waits_for_a_fiber_held_lock_and_a_fiber_for_a_thread_held_one()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var lk = new FiberLock();
            var threadHolds = new FiberEvent();
            lk.Acquire();
            var thread = new Thread(() =>
            {
                using (lk.Acquire()) trace.Add("thread holds");
                lk.Acquire();   // held by the thread while the fiber waits for it
                trace.Add("thread holds again");
                threadHolds.Set();
                while (!lk.ToString().Contains("1 waiting", StringComparison.Ordinal))
                    Thread.Sleep(1);
                trace.Add("thread releases");
                lk.Release();
            });
            thread.Start();
            while (!lk.ToString().Contains("1 waiting", StringComparison.Ordinal))
                Fiber.Sleep(K.Ms(1));
            trace.Add("fiber releases");
            lk.Release();
            threadHolds.Wait();
            using (lk.Acquire()) trace.Add("fiber holds");
            Fiber.RunBlocking(thread.Join);
        });
        trace.Is("fiber releases", "thread holds", "thread holds again", "thread releases", "fiber holds");
    }

    [Fact]
    public void Release_by_a_plain_thread_that_does_not_own_the_lock_throws() =>
        K.Run(() =>
        {
            var lk = new FiberLock();
            lk.Acquire();
            var e = Fiber.Await(Task.Run(() => Assert.Throws<InvalidOperationException>(lk.Release)));
            Assert.Contains("held by fiber", e.Message);
            Assert.True(lk.IsLocked);
            lk.Release();
        });

    [Fact]
    public void A_waiter_in_Acquire_is_reported_with_the_lock_state_in_a_deadlock()
    {
        long holderId = 0;
        var e = Assert.Throws<FiberDeadlockException>(() => K.RunOneKernel(() =>
        {
            var lk = new FiberLock();
            holderId = Fiber.Spawn(() => { lk.Acquire(); new FiberEvent().Wait(); }, "holder").Id;
            Fiber.Yield();
            lk.Acquire();
        }));
        Assert.Contains($"'main' is blocked in Acquire on FiberLock(held by fiber {holderId} 'holder', 1 waiting)", e.Message);
    }
}

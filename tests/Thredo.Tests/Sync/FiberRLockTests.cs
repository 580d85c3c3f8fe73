namespace Thredo.Tests.Sync;

public class FiberRLockTests
{
    [Fact]
    public void The_owner_may_acquire_again_and_only_the_last_release_frees_the_lock()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var lk = new FiberRLock();
            lk.Acquire();
            lk.Acquire();
            using (lk.Acquire()) trace.Add("depth 3");
            var other = Fiber.Spawn(() => { using (lk.Acquire()) trace.Add("other holds"); });
            Fiber.Yield();
            lk.Release();
            trace.Add($"one release left: {lk.IsLocked}");
            Fiber.Yield();   // the other fiber still waits
            trace.Add("last release");
            lk.Release();
            other.Join();
            Assert.False(lk.IsLocked);
        });
        trace.Is("depth 3", "one release left: True", "last release", "other holds");
    }

    [Fact]
    public void TryAcquire_succeeds_for_the_owner_and_fails_for_anyone_else() =>
        K.Run(() =>
        {
            var lk = new FiberRLock();
            Assert.True(lk.TryAcquire());
            Assert.True(lk.TryAcquire());
            Assert.False(Fiber.Spawn(lk.TryAcquire).Join());
            lk.Release();
            Assert.True(lk.IsLocked);
            lk.Release();
            Assert.False(lk.IsLocked);
        });

    [Fact]
    public void Release_by_a_non_owner_throws_and_Release_of_a_free_lock_throws() =>
        K.Run(() =>
        {
            var lk = new FiberRLock();
            Assert.Throws<InvalidOperationException>(lk.Release);
            lk.Acquire();
            var other = Fiber.Spawn(lk.Release);
            Assert.IsType<InvalidOperationException>(Assert.Throws<FiberFailedException>(other.Join).InnerException);
            Assert.True(lk.IsLocked);
            lk.Release();
            Assert.Throws<InvalidOperationException>(lk.Release);
        });

    [Fact]
    public void Release_hands_the_lock_to_waiters_in_arrival_order()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var lk = new FiberRLock();
            lk.Acquire();
            var fs = new[] { "a", "b", "c" }.Select(n => Fiber.Spawn(() =>
            {
                using (lk.Acquire())
                using (lk.Acquire())
                {
                    trace.Add($"{n} holds");
                    Fiber.Yield();
                }
            })).ToList();
            Fiber.Yield();
            lk.Release();
            fs.ForEach(f => f.Join());
        });
        trace.Is("a holds", "b holds", "c holds");
    }

    [Fact]
    public void A_cancelled_Acquire_takes_nothing_and_the_lock_goes_to_the_next_waiter() =>
        K.Run(() =>
        {
            var lk = new FiberRLock();
            lk.Acquire();
            var a = Fiber.Spawn(() => { lk.Acquire(); });
            var b = Fiber.Spawn(() => { using (lk.Acquire()) return "b held it"; });
            Fiber.Yield();
            a.Cancel();
            lk.Release();
            Assert.Equal("b held it", b.Join());
            Assert.Equal(FiberState.Cancelled, a.State);
            Assert.False(lk.IsLocked);
        });

    [Fact]
    public void The_description_shows_the_owner_and_depth() =>
        K.Run(() =>
        {
            var lk = new FiberRLock();
            Assert.Equal("FiberRLock(free, 0 waiting)", lk.ToString());
            lk.Acquire();
            lk.Acquire();
            Assert.Equal($"FiberRLock(held by fiber {Fiber.Current.Id} 'main' x2, 0 waiting)", lk.ToString());
            lk.Release();
            lk.Release();
        });

    [Fact]
    public void A_plain_thread_is_an_owner_that_may_re_enter() =>
        K.Run(() =>
        {
            var lk = new FiberRLock();
            Fiber.RunBlocking(() =>
            {
                lk.Acquire();
                using (lk.Acquire()) { }
                Assert.True(lk.TryAcquire());
                lk.Release();
                lk.Release();
            });
            Assert.False(lk.IsLocked);
            using (lk.Acquire()) { }
        });
}

namespace Thredo.Tests.Sync;

public class FiberConditionTests
{
    [Fact]
    public void Wait_releases_the_lock_and_takes_it_again_before_returning()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var lk = new FiberLock();
            var cond = new FiberCondition(lk);
            var waiter = Fiber.Spawn(() =>
            {
                using (cond.Acquire())
                {
                    trace.Add("waiting");
                    cond.Wait();
                    trace.Add($"woken, locked {lk.IsLocked}");
                }
            });
            Fiber.Yield();
            using (cond.Acquire())   // free: Wait released it
            {
                trace.Add("notifying");
                cond.Notify();
                Fiber.Yield();       // the woken waiter cannot return while we hold the lock
                trace.Add("releasing");
            }
            waiter.Join();
            Assert.False(lk.IsLocked);
        });
        trace.Is("waiting", "notifying", "releasing", "woken, locked True");
    }

    [Fact]
    public void Notify_wakes_the_given_number_of_waiters_longest_waiting_first()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var cond = new FiberCondition();
            var fs = new[] { "a", "b", "c", "d" }.Select(n => Fiber.Spawn(() =>
            {
                using (cond.Acquire()) { cond.Wait(); trace.Add(n); }
            })).ToList();
            Fiber.Yield();
            using (cond.Acquire()) cond.Notify(2);
            Fiber.Yield();
            trace.Add($"{cond}");
            using (cond.Acquire()) cond.Notify();
            Fiber.Yield();
            using (cond.Acquire()) cond.Notify(0);
            Fiber.Yield();
            trace.Add($"{cond}");
            using (cond.Acquire()) cond.Notify(5);   // more than wait: wakes the rest
            fs.ForEach(f => f.Join());
        });
        trace.Is("a", "b", "FiberCondition(FiberLock(free, 0 waiting), 2 waiting)", "c",
                 "FiberCondition(FiberLock(free, 0 waiting), 1 waiting)", "d");
    }

    [Fact]
    public void NotifyAll_wakes_every_waiter_in_arrival_order()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var cond = new FiberCondition();
            var fs = new[] { "a", "b", "c" }.Select(n => Fiber.Spawn(() =>
            {
                using (cond.Acquire()) { cond.Wait(); trace.Add(n); }
            })).ToList();
            Fiber.Yield();
            using (cond.Acquire()) cond.NotifyAll();
            fs.ForEach(f => f.Join());
        });
        trace.Is("a", "b", "c");
    }

    [Fact]
    public void WaitFor_returns_at_once_when_true_and_otherwise_waits_until_a_wake_finds_it_true()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var cond = new FiberCondition();
            int items = 0;
            var consumer = Fiber.Spawn(() =>
            {
                using (cond.Acquire())
                {
                    cond.WaitFor(() => { trace.Add($"check {items}"); return items >= 2; });
                    trace.Add("consumer done");
                }
            });
            Fiber.Yield();
            for (int i = 0; i < 2; i++)
            {
                using (cond.Acquire()) { items++; cond.NotifyAll(); }
                Fiber.Yield();
            }
            consumer.Join();
            using (cond.Acquire()) cond.WaitFor(() => true);
        });
        trace.Is("check 0", "check 1", "check 2", "consumer done");
    }

    [Fact]
    public void A_cancelled_waiter_takes_the_lock_again_before_the_exception_reaches_it()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var lk = new FiberLock();
            var cond = new FiberCondition(lk);
            var waiter = Fiber.Spawn(() =>
            {
                using (cond.Acquire())
                {
                    try { cond.Wait(); }
                    catch (FiberCancelledException) { trace.Add($"cancelled, locked {lk.IsLocked}"); throw; }
                }   // disposing the scope would throw if the waiter did not own the lock
            });
            Fiber.Yield();
            using (cond.Acquire())
            {
                waiter.Cancel(wait: false);
                Fiber.Yield();
                trace.Add("main still holds the lock");
            }
            waiter.Wait();
            Assert.Equal(FiberState.Cancelled, waiter.State);
            Assert.False(lk.IsLocked);
        });
        trace.Is("main still holds the lock", "cancelled, locked True");
    }

    [Fact]
    public void A_notification_is_not_lost_to_a_cancelled_waiter()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var cond = new FiberCondition();
            var a = Fiber.Spawn(() => { using (cond.Acquire()) { cond.Wait(); trace.Add("a"); } });
            var b = Fiber.Spawn(() => { using (cond.Acquire()) { cond.Wait(); trace.Add("b"); } });
            Fiber.Yield();
            a.Cancel();
            using (cond.Acquire()) cond.Notify();
            b.Join();
        });
        trace.Is("b");
    }

    [Fact]
    public void A_timed_out_waiter_holds_the_lock_when_the_timeout_reaches_it() =>
        K.Run(() =>
        {
            var lk = new FiberLock();
            var cond = new FiberCondition(lk);
            using (cond.Acquire())
            {
                Assert.Throws<FiberTimeoutException>(() => Fiber.TimeoutAfter(K.Ms(5), cond.Wait));
                Assert.True(lk.IsLocked);
            }
            Assert.False(lk.IsLocked);
        });

    [Fact]
    public void Conditions_sharing_a_lock_notify_only_their_own_waiters()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var lk = new FiberLock();
            var notEmpty = new FiberCondition(lk);
            var notFull = new FiberCondition(lk);
            var a = Fiber.Spawn(() => { using (notEmpty.Acquire()) { notEmpty.Wait(); trace.Add("notEmpty"); } });
            var b = Fiber.Spawn(() => { using (notFull.Acquire()) { notFull.Wait(); trace.Add("notFull"); } });
            K.UntilBlocked(a, b);
            using (lk.Acquire()) notFull.Notify();
            b.Join();
            using (lk.Acquire()) notEmpty.Notify();
            a.Join();
        });
        trace.Is("notFull", "notEmpty");
    }

    [Fact]
    public void Wait_and_Notify_without_holding_the_lock_throw() =>
        K.Run(() =>
        {
            var cond = new FiberCondition();
            Assert.Throws<InvalidOperationException>(cond.Wait);
            Assert.Throws<InvalidOperationException>(() => cond.WaitFor(() => true));
            Assert.Throws<InvalidOperationException>(() => cond.Notify());
            Assert.Throws<InvalidOperationException>(cond.NotifyAll);
            using (cond.Acquire())
                Assert.IsType<InvalidOperationException>(Assert.Throws<FiberFailedException>(() => Fiber.Spawn(() => cond.Notify()).Join()).InnerException);
        });

    [Fact]
    public void A_plain_thread_waits_on_a_condition_a_fiber_notifies() =>
        K.Run(() =>
        {
            var cond = new FiberCondition();
            bool ready = false;
            var waited = Task.Run(() =>
            {
                using (cond.Acquire()) { cond.WaitFor(() => ready); return ready; }
            });
            while (!cond.ToString().EndsWith("1 waiting)", StringComparison.Ordinal))
                Fiber.Sleep(K.Ms(1));
            using (cond.Acquire()) { ready = true; cond.Notify(); }
            Assert.True(Fiber.Await(waited));
        });

    [Fact]
    public void Arguments_are_checked_with_their_names() =>
        K.Run(() =>
        {
            var cond = new FiberCondition();
            using (cond.Acquire())
            {
                Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => cond.Notify(-1)).ParamName);
                Assert.Equal("predicate", Assert.Throws<ArgumentNullException>(() => cond.WaitFor(null!)).ParamName);
            }
        });

    [Fact]
    public void A_waiter_in_Wait_is_reported_with_the_condition_in_a_deadlock()
    {
        var e = Assert.Throws<FiberDeadlockException>(() => K.Run(() =>
        {
            var cond = new FiberCondition();
            using (cond.Acquire()) cond.Wait();
        }));
        Assert.Contains("'main' is blocked in Wait on FiberCondition(FiberLock(free, 0 waiting), 1 waiting)", e.Message);
    }
}

namespace Thredo.Tests.Sync;

/// <summary>Exceptions and cancellations in the middle of lock use leave every lock consistent.</summary>
public class SyncFaultTests
{
    [Fact]
    public void An_exception_thrown_from_finally_inside_a_LockScope_still_releases_the_lock()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var lk = new FiberLock();
            var waiter = Fiber.Spawn(() => { Fiber.Yield(); using (lk.Acquire()) trace.Add("waiter holds"); });
            var f = Fiber.Spawn(() =>
            {
                using (lk.Acquire())
                {
                    try
                    {
                        Fiber.Yield();   // the waiter queues up on the lock
                        throw new InvalidDataException("body");
                    }
                    finally
                    {
                        trace.Add("finally throws");
                        throw new FormatException("finally");
                    }
                }
            });
            Assert.IsType<FormatException>(Assert.Throws<FiberFailedException>(f.Join).InnerException);
            waiter.Join();
            Assert.False(lk.IsLocked);
        });
        trace.Is("finally throws", "waiter holds");
    }

    [Fact]
    public void A_cancelled_fibers_cleanup_may_block_on_a_lock_and_is_not_cancelled_again()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var lk = new FiberLock();
            var f = Fiber.Spawn(() =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
                finally
                {
                    trace.Add("cleanup waits for the lock");
                    using (lk.Acquire()) trace.Add("cleanup holds the lock");
                }
            });
            Fiber.Yield();
            using (lk.Acquire())
            {
                f.Cancel(wait: false);
                Fiber.Yield();
                trace.Add("main releases");
            }
            f.Wait();
            Assert.Equal(FiberState.Cancelled, f.State);
            Assert.IsType<FiberCancelledException>(f.Exception);
            Assert.False(lk.IsLocked);
        });
        trace.Is("cleanup waits for the lock", "main releases", "cleanup holds the lock");
    }

    [Fact]
    public void Cancelling_again_during_a_cleanup_that_waits_for_a_lock_leaves_the_lock_untouched()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var lk = new FiberLock();
            var f = Fiber.Spawn(() =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
                finally
                {
                    try { using (lk.Acquire()) trace.Add("not reached"); }
                    catch (FiberCancelledException) { trace.Add("cleanup cancelled while waiting"); }
                }
            });
            Fiber.Yield();
            lk.Acquire();
            f.Cancel(wait: false);
            Fiber.Yield();
            f.Cancel();
            trace.Add($"{lk}".Replace($"{Fiber.Current.Id}", "M", StringComparison.Ordinal));
            lk.Release();
            Assert.False(lk.IsLocked);
        });
        trace.Is("cleanup cancelled while waiting", "FiberLock(held by fiber M 'main', 0 waiting)");
    }

    [Fact]
    public void A_cleanup_that_takes_a_lock_under_DisableCancellation_completes_despite_a_second_cancel()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var sem = new FiberSemaphore(0, max: 1);
            var f = Fiber.Spawn(() =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
                finally
                {
                    using (Fiber.DisableCancellation())
                    {
                        sem.Acquire();
                        trace.Add("cleanup got the permit");
                        sem.Release();
                    }
                }
            });
            Fiber.Yield();
            f.Cancel(wait: false);
            Fiber.Yield();
            f.Cancel(wait: false);   // deferred: the cleanup keeps waiting
            Fiber.Yield();
            trace.Add("releasing");
            sem.Release();
            f.Wait();
            Assert.Equal(1, sem.Count);
        });
        trace.Is("releasing", "cleanup got the permit");
    }

    [Fact]
    public void A_fiber_failing_while_it_holds_a_condition_lock_in_WaitFor_releases_it_through_its_scope() =>
        K.Run(() =>
        {
            var cond = new FiberCondition();
            var f = Fiber.Spawn(() =>
            {
                using (cond.Acquire())
                    cond.WaitFor(() => throw new InvalidDataException("predicate"));
            });
            Assert.IsType<InvalidDataException>(Assert.Throws<FiberFailedException>(f.Join).InnerException);
            using (cond.Acquire()) cond.NotifyAll();
        });
}

namespace Thredo.Tests;

public class CancellationTests
{
    [Fact]
    public void Cancel_interrupts_a_blocked_fiber_at_once_and_waits_for_its_end()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var f = Fiber.Spawn(() =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
                catch (FiberCancelledException) { trace.Add("cancelled"); throw; }
            });
            Fiber.Yield();
            f.Cancel();
            trace.Add($"after cancel: {f.State}");
        });
        trace.Is("cancelled", "after cancel: Cancelled");
    }

    [Fact]
    public void Cancellation_waits_for_the_next_blocking_operation_and_never_interrupts_computation()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var f = Fiber.Spawn(() =>
            {
                trace.Add("computing");
                Fiber.Current.Cancel(wait: false);      // cancellation is now pending
                K.Compute(5);
                trace.Add("computed");
                try { Fiber.Sleep(K.Ms(1)); }
                catch (FiberCancelledException) { trace.Add("delivered at sleep"); throw; }
            });
            f.Wait();
        });
        trace.Is("computing", "computed", "delivered at sleep");
    }

    [Fact]
    public void A_pending_cancellation_is_delivered_even_by_an_operation_that_would_not_block() =>
        K.Run(() =>
        {
            var e = new FiberEvent();
            e.Set();
            var f = Fiber.Spawn(() => { Fiber.Current.Cancel(wait: false); e.Wait(); });
            f.Wait();
            Assert.Equal(FiberState.Cancelled, f.State);
        });

    [Fact]
    public void A_caught_cancellation_is_not_delivered_twice() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); } catch (FiberCancelledException) { }
                Fiber.Sleep(K.Ms(5));   // blocks normally: the cancellation was consumed
                return "survived";
            });
            Fiber.Yield();
            Assert.True(f.Cancel(wait: false) is false);
            Assert.Equal("survived", f.Join());
        });

    [Fact]
    public void Cancelling_again_after_a_caught_cancellation_delivers_again() =>
        K.RunOneKernel(() =>
        {
            var caught = 0;
            var f = Fiber.Spawn(() =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); } catch (FiberCancelledException) { caught++; }
                Fiber.Sleep(Timeout.InfiniteTimeSpan);
            });
            Fiber.Yield();
            f.Cancel(wait: false);
            Fiber.Yield();
            f.Cancel();
            Assert.Equal(1, caught);
            Assert.Equal(FiberState.Cancelled, f.State);
        });

    [Fact]
    public void DisableCancellation_defers_delivery_to_the_first_blocking_operation_after_the_scope()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var f = Fiber.Spawn(() =>
            {
                using (Fiber.DisableCancellation())
                {
                    Fiber.Sleep(K.Ms(20));   // cancel arrives meanwhile, and is not delivered
                    trace.Add("slept through");
                    Fiber.Sleep(K.Ms(1));
                    trace.Add("still inside");
                }
                trace.Add("scope ended");
                try { Fiber.Yield(); }
                catch (FiberCancelledException) { trace.Add("delivered"); throw; }
            });
            Fiber.Sleep(K.Ms(5));
            f.Cancel();
        });
        trace.Is("slept through", "still inside", "scope ended", "delivered");
    }

    [Fact]
    public void Cancel_is_idempotent_and_does_nothing_to_an_ended_fiber() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() => 1);
            f.Join();
            Assert.True(f.Cancel(wait: true));
            f.Cancel();
            Assert.Equal(FiberState.Completed, f.State);
            var g = Fiber.Spawn(() => Fiber.Sleep(Timeout.InfiniteTimeSpan));
            Fiber.Yield();
            g.Cancel(wait: false);
            g.Cancel(wait: false);
            g.Cancel();
            Assert.Equal(FiberState.Cancelled, g.State);
        });

    [Fact]
    public void Join_of_a_cancelled_fiber_throws_FiberFailedException_holding_the_cancellation() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() => Fiber.Sleep(Timeout.InfiniteTimeSpan));
            Fiber.Yield();
            f.Cancel();
            var e = Assert.Throws<FiberFailedException>(() => f.Join());
            Assert.IsType<FiberCancelledException>(e.InnerException);
        });

    [Fact]
    public void A_fiber_cancelled_before_it_first_runs_is_cancelled_at_its_first_blocking_operation()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var f = Fiber.Spawn(() => { trace.Add("ran"); Fiber.Yield(); trace.Add("not reached"); });
            f.Cancel();
        });
        trace.Is("ran");
    }

    [Fact]
    public void A_cancelled_joiner_leaves_the_joined_fiber_running() =>
        K.Run(() =>
        {
            var target = Fiber.Spawn(() => { Fiber.Sleep(K.Ms(30)); return 7; });
            var joiner = Fiber.Spawn(() => target.Join());
            Fiber.Yield();
            joiner.Cancel();
            Assert.Equal(FiberState.Cancelled, joiner.State);
            Assert.Equal(7, target.Join());
        });
}

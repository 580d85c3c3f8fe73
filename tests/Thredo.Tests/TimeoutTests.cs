namespace Thredo.Tests;

public class TimeoutTests
{
    [Fact]
    public void TimeoutAfter_interrupts_the_blocking_operation_in_progress() =>
        K.Run(() => Assert.Throws<FiberTimeoutException>(() =>
            Fiber.TimeoutAfter(K.Ms(10), () => Fiber.Sleep(Timeout.InfiniteTimeSpan))));

    [Fact]
    public void An_expiry_during_computation_is_raised_at_the_next_blocking_operation()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            try
            {
                using (Fiber.TimeoutAfter(K.Ms(5)))
                {
                    K.Compute(30);
                    trace.Add("computed past the deadline");
                    Fiber.Yield();
                    trace.Add("not reached");
                }
            }
            catch (FiberTimeoutException) { trace.Add("raised at yield"); }
        });
        trace.Is("computed past the deadline", "raised at yield");
    }

    [Fact]
    public void A_scope_that_ends_before_any_blocking_operation_saw_the_expiry_ends_quietly() =>
        K.Run(() =>
        {
            using (Fiber.TimeoutAfter(K.Ms(1)))
                K.Compute(10);
            Fiber.Sleep(K.Ms(5));   // nothing is raised later
        });

    [Fact]
    public void A_scope_that_exits_normally_removes_its_timer() =>
        K.Run(() =>
        {
            using (Fiber.TimeoutAfter(K.Ms(20)))
                Fiber.Sleep(K.Ms(1));
            Fiber.Sleep(K.Ms(40));   // past the old deadline: no timeout
        });

    [Fact]
    public void TimeoutAfter_returns_the_body_result_when_in_time() =>
        K.Run(() => Assert.Equal(3, Fiber.TimeoutAfter(TimeSpan.FromSeconds(10), () => { Fiber.Sleep(K.Ms(1)); return 3; })));

    [Fact]
    public void IgnoreAfter_swallows_its_own_expiry_and_reports_it() =>
        K.Run(() =>
        {
            Assert.False(Fiber.IgnoreAfter(K.Ms(5), () => Fiber.Sleep(Timeout.InfiniteTimeSpan)));
            Assert.True(Fiber.IgnoreAfter(TimeSpan.FromSeconds(10), () => Fiber.Sleep(K.Ms(1))));
        });

    [Fact]
    public void The_IgnoreScope_form_lets_the_caller_recognise_its_own_expiry() =>
        K.Run(() =>
        {
            using var scope = Fiber.IgnoreAfter(K.Ms(5));
            try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
            catch (FiberTimeoutException e) when (scope.Owns(e)) { }
            Assert.True(scope.Expired);
        });

    [Fact]
    public void An_inner_expiry_is_seen_by_the_inner_scope_and_the_outer_scope_goes_on()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            Fiber.TimeoutAfter(TimeSpan.FromSeconds(10), () =>
            {
                bool finished = Fiber.IgnoreAfter(K.Ms(5), () => Fiber.Sleep(Timeout.InfiniteTimeSpan));
                trace.Add($"inner finished={finished}");
                Fiber.Sleep(K.Ms(1));
                trace.Add("outer goes on");
            });
        });
        trace.Is("inner finished=False", "outer goes on");
    }

    [Fact]
    public void An_outer_expiry_passes_through_an_inner_scope_untouched()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using var outer = Fiber.IgnoreAfter(K.Ms(5));
            try
            {
                Fiber.IgnoreAfter(TimeSpan.FromSeconds(10), () => Fiber.Sleep(Timeout.InfiniteTimeSpan));
                trace.Add("inner swallowed it (wrong)");
            }
            catch (FiberTimeoutException e)
            {
                trace.Add($"outer owns it: {outer.Owns(e)}");
            }
        });
        trace.Is("outer owns it: True");
    }

    [Fact]
    public void When_both_scopes_have_expired_the_outermost_owns_the_exception() =>
        K.Run(() =>
        {
            using var outer = Fiber.IgnoreAfter(K.Ms(1));
            using var inner = Fiber.IgnoreAfter(K.Ms(2));
            K.Compute(10);
            var e = Assert.Throws<FiberTimeoutException>(() => Fiber.Yield());
            Assert.True(outer.Owns(e));
            Assert.False(inner.Owns(e));
        });

    [Fact]
    public void Scopes_disposed_out_of_order_are_refused() =>
        K.Run(() =>
        {
            var outer = Fiber.TimeoutAfter(TimeSpan.FromSeconds(10));
            var inner = Fiber.TimeoutAfter(TimeSpan.FromSeconds(10));
            Assert.Throws<InvalidOperationException>(outer.Dispose);
            inner.Dispose();
            outer.Dispose();
        });

    [Fact]
    public void A_timeout_inside_DisableCancellation_is_delivered_after_the_scope()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            try
            {
                using (Fiber.TimeoutAfter(K.Ms(5)))
                {
                    using (Fiber.DisableCancellation())
                    {
                        Fiber.Sleep(K.Ms(20));
                        trace.Add("slept past the deadline");
                    }
                    Fiber.Yield();
                }
            }
            catch (FiberTimeoutException) { trace.Add("delivered after"); }
        });
        trace.Is("slept past the deadline", "delivered after");
    }

    [Fact]
    public void Timeout_arguments_are_checked_and_scopes_need_a_fiber()
    {
        K.Run(() =>
        {
            Assert.Equal("delay", Assert.Throws<ArgumentOutOfRangeException>(() => Fiber.TimeoutAfter(TimeSpan.FromSeconds(-1))).ParamName);
            Assert.Equal("body", Assert.Throws<ArgumentNullException>(() => Fiber.TimeoutAfter(K.Ms(1), (Action)null!)).ParamName);
        });
        Assert.Throws<InvalidOperationException>(() => Fiber.TimeoutAfter(K.Ms(1)));
        Assert.Throws<InvalidOperationException>(() => Fiber.DisableCancellation());
    }
}

namespace Thredo.Tests;

/// <summary>Groups as thredo's ThreadGroup: completion order, results, daemons, CancelRemaining; and IgnoreAfter with a result.</summary>
public class GroupCompletionTests
{
    [Fact]
    public void NextDone_returns_members_in_completion_order_then_null() =>
        K.Run(() =>
        {
            using var g = new FiberGroup();
            var slow = g.Spawn(() => Fiber.Sleep(K.Ms(30)), "slow");
            var fast = g.Spawn(() => Fiber.Sleep(K.Ms(5)), "fast");
            var middle = g.Spawn(() => Fiber.Sleep(K.Ms(15)), "middle");
            Assert.Same(fast, g.NextDone());
            Assert.Same(middle, g.NextDone());
            Assert.Same(slow, g.NextDone());
            Assert.Null(g.NextDone());
            g.Join();   // nothing left to wait for
        });

    [Fact]
    public void NextResult_returns_results_in_completion_order_and_throws_for_a_failed_member() =>
        K.Run(() =>
        {
            using var g = new FiberGroup();
            g.Spawn(() => { Fiber.Sleep(K.Ms(20)); return 2; });
            g.Spawn(() => { Fiber.Sleep(K.Ms(5)); return 1; });
            Assert.Equal(1, g.NextResult());
            Assert.Equal(2, g.NextResult());
            Assert.Null(g.NextResult());
        });

    [Fact]
    public void NextResult_of_a_failed_member_throws_FiberFailedException_with_the_cause() =>
        K.Run(() =>
        {
            var g = new FiberGroup();
            g.Spawn<int>(() => throw new InvalidDataException("bad member"));
            var e = Assert.Throws<FiberFailedException>(() => g.NextResult());
            Assert.IsType<InvalidDataException>(e.InnerException);
            Assert.Single(g.Exceptions);
            Assert.Throws<FiberGroupException>(g.Join);
        });

    [Fact]
    public void Results_are_in_spawn_order_once_joined() =>
        K.Run(() =>
        {
            using var g = new FiberGroup();
            g.Spawn(() => { Fiber.Sleep(K.Ms(10)); return "a"; });
            g.Spawn(() => "b");
            g.Spawn(() => { });
            Assert.Throws<InvalidOperationException>(() => g.Results);
            g.Join();
            Assert.Equal(new object?[] { "a", "b", null }, g.Results);
            Assert.Empty(g.Exceptions);
        });

    [Fact]
    public void NextDone_from_a_fiber_that_is_not_the_owner_shares_the_completion_order() =>
        K.Run(() =>
        {
            using var g = new FiberGroup();
            var first = g.Spawn(() => Fiber.Sleep(K.Ms(5)), "first");
            var second = g.Spawn(() => Fiber.Sleep(K.Ms(40)), "second");
            Fiber<Fiber?> other = Fiber.Spawn(() => g.NextDone(), "not the owner");
            Assert.Same(first, other.Join());   // the other fiber took the first member to end...
            Assert.Same(second, g.NextDone());  // ...so the owner gets the next one
            Assert.Null(g.NextDone());
        });

    [Fact]
    public void CancelRemaining_cancels_the_running_members_and_the_group_stays_usable() =>
        K.Run(() =>
        {
            using var g = new FiberGroup();
            var done = g.Spawn(() => 1);
            var sleeper = g.Spawn(() => Fiber.Sleep(Timeout.InfiniteTimeSpan));
            Assert.Same(done, g.NextDone());
            g.CancelRemaining();
            Assert.Equal(FiberState.Cancelled, sleeper.State);
            Assert.Same(sleeper, g.NextDone());
            var later = g.Spawn(() => 3);
            Assert.Equal(3, g.NextResult());
            Assert.Null(g.NextDone());
            Assert.Equal(FiberState.Completed, later.State);
        });

    [Fact]
    public void Daemon_members_are_not_waited_for_and_are_cancelled_silently_when_the_group_ends()
    {
        var trace = new Trace();
        string err = StderrCapture.Of(() => K.Run(() =>
        {
            Fiber? daemon;
            using (var g = new FiberGroup())
            {
                daemon = g.Spawn(() =>
                {
                    try { while (true) Fiber.Sleep(K.Ms(2)); }
                    finally { trace.Add("daemon cleaned up"); }
                }, "heartbeat", daemon: true);
                g.Spawn(() => { Fiber.Sleep(K.Ms(10)); trace.Add("worker done"); });
                Assert.Single(g.Fibers);
                Assert.Null(g.NextResult());   // the worker; the daemon is not in the completion order
                Assert.Null(g.NextDone());
            }
            trace.Add($"daemon {daemon.State}");
        }));
        trace.Is("worker done", "daemon cleaned up", "daemon Cancelled");
        Assert.DoesNotContain("heartbeat", err);
    }

    [Fact]
    public void A_failing_daemon_does_not_fail_the_group_but_is_reported()
    {
        string err = StderrCapture.Of(() => K.Run(() =>
        {
            using var g = new FiberGroup();
            g.Spawn(() => throw new InvalidDataException("daemon broke"), "flaky", daemon: true);
            g.Spawn(() => Fiber.Sleep(K.Ms(10)));
            g.Join();
        }));
        Assert.Contains("daemon broke", err);
        Assert.Contains("'flaky'", err);
    }

    [Fact]
    public void IgnoreAfter_with_a_result_returns_it_or_the_fallback() =>
        K.Run(() =>
        {
            Assert.Equal(7, Fiber.IgnoreAfter(K.Ms(1000), () => 7, -1));
            Assert.Equal(-1, Fiber.IgnoreAfter(K.Ms(5), () => { Fiber.Sleep(K.Ms(1000)); return 7; }, -1));
            Assert.Null(Fiber.IgnoreAfter<string?>(K.Ms(5), () => { Fiber.Sleep(K.Ms(1000)); return "late"; }, null));
            // An outer deadline passes through.
            Assert.Throws<FiberTimeoutException>(() => Fiber.TimeoutAfter(K.Ms(5), () =>
                Fiber.IgnoreAfter(K.Ms(1000), () => { Fiber.Sleep(K.Ms(1000)); return 7; }, -1)));
        });
}

using Thredo.IO;

namespace Thredo.Tests;

/// <summary>
/// Defects found by trying Thredo as a demanding user would (issue 9), each written the way a user hits
/// it, with variants of its class.
/// </summary>
public class ReliabilityTests
{
    // ---- A group's Dispose decides between join and cancel by what is in force, not by history ------

    [Fact]
    public void A_group_disposed_normally_after_an_IgnoreAfter_inside_it_joins_its_members() =>
        K.Run(() =>
        {
            var trace = new Trace();
            using (var g = new FiberGroup())
            {
                g.Spawn(() => { Fiber.Sleep(K.Ms(20)); trace.Add("member finished"); });
                Fiber.IgnoreAfter(K.Ms(1), () => Fiber.Sleep(K.Ms(1000)));   // delivered and handled
            }
            trace.Is("member finished");
        });

    [Fact]
    public void A_group_disposed_normally_after_a_caught_TimeoutAfter_in_a_retry_loop_joins_its_members() =>
        K.Run(() =>
        {
            var trace = new Trace();
            var release = new FiberEvent();
            using (var g = new FiberGroup())
            {
                // The member is still running when the group ends, whatever the machine's load.
                g.Spawn(() => { release.Wait(); trace.Add("member finished"); });
                for (int attempt = 0; attempt < 3; attempt++)
                {
                    try { Fiber.TimeoutAfter(K.Ms(1), () => Fiber.Sleep(K.Ms(1000))); }
                    catch (FiberTimeoutException) { trace.Add($"attempt {attempt} timed out"); }
                }
                release.Set();
            }
            trace.Is("attempt 0 timed out", "attempt 1 timed out", "attempt 2 timed out", "member finished");
        });

    [Fact]
    public void An_exception_thrown_in_a_group_body_wins_and_the_members_are_cancelled() =>
        K.Run(() =>
        {
            Fiber? sleeper = null, failing = null;
            var e = Assert.Throws<InvalidDataException>((Action)(() =>
            {
                using var g = new FiberGroup(GroupWait.All);
                sleeper = g.Spawn(() => Fiber.Sleep(Timeout.InfiniteTimeSpan));   // joining by policy would wait forever
                failing = g.Spawn(() => throw new FormatException("member failed"));
                Fiber.Yield();
                throw new InvalidDataException("the body's own failure");
            }));
            Assert.Equal("the body's own failure", e.Message);   // not replaced by a FiberGroupException
            Assert.Equal(FiberState.Cancelled, sleeper!.State);
            Assert.Equal(FiberState.Faulted, failing!.State);
        });

    [Fact]
    public void A_group_used_inside_a_catch_block_still_joins_on_a_normal_exit() =>
        K.Run(() =>
        {
            var trace = new Trace();
            try
            {
                throw new InvalidOperationException("handled");
            }
            catch (InvalidOperationException)
            {
                using (var g = new FiberGroup())
                    g.Spawn(() => { Fiber.Sleep(K.Ms(5)); trace.Add("member finished"); });
            }
            trace.Is("member finished");
        });

    // ---- Who am I: a fiber inside RunBlocking is still itself ---------------------------------------

    [Fact]
    public void A_fiber_cancelling_itself_inside_RunBlocking_does_not_wait_for_its_own_end() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() =>
            {
                Fiber self = Fiber.Current;
                Fiber.RunBlocking(() => self.Cancel());   // requests only
                Fiber.Sleep(Timeout.InfiniteTimeSpan);    // where the cancellation is delivered
            });
            Assert.Throws<FiberFailedException>(() => f.Join());
            Assert.Equal(FiberState.Cancelled, f.State);
        });

    [Fact]
    public void A_fiber_joining_itself_inside_RunBlocking_is_refused() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() =>
            {
                Fiber self = Fiber.Current;
                Assert.Throws<InvalidOperationException>(() => Fiber.RunBlocking(() => self.Join()));
                Assert.Throws<InvalidOperationException>(() => Fiber.RunBlocking(() => self.Wait()));
            });
            f.Join();
        });

    // ---- Another runtime's fiber is outside, like a plain thread ------------------------------------

    [Fact]
    public void A_fiber_waiting_on_a_queue_another_runtime_fills_later_is_not_a_deadlock()
    {
        var queue = new FiberQueue<int>();
        var started = new ManualResetEventSlim();
        int got = 0;
        var consumer = new Thread(() => Fiber.Run(() =>
        {
            // The filler's runtime has touched the queue before; then it goes quiet for longer than
            // the detector's grace period before it puts.
            started.Set();
            got = queue.Get();
        }, K.Options));
        Fiber.Run(() =>
        {
            queue.Put(0);
            Assert.Equal(0, queue.Get());
            consumer.Start();
            Fiber.RunBlocking(started.Wait);
            Fiber.Sleep(K.Ms(400));
            queue.Put(42);
        }, K.Options);
        consumer.Join();
        Assert.Equal(42, got);
    }

    [Fact]
    public void A_fiber_waiting_on_an_event_created_by_another_runtime_is_not_a_deadlock()
    {
        FiberEvent? ev = null;
        var created = new ManualResetEventSlim();
        var setter = new Thread(() => Fiber.Run(() =>
        {
            ev = new FiberEvent();
            created.Set();
            Fiber.Sleep(K.Ms(400));
            ev.Set();
        }, K.Options));
        setter.Start();
        created.Wait();
        Fiber.Run(() => ev!.Wait(), K.Options);   // would be declared deadlocked after the grace period
        setter.Join();
    }

    // ---- Options and durations: the option's or parameter's name, never an overflow ---------------

    [Fact]
    public void Huge_durations_in_seconds_saturate_like_their_TimeSpan_twins() =>
        K.Run(() =>
        {
            var f = Fiber.Spawn(() => Fiber.Sleep(1e15));
            K.UntilBlocked(f);
            f.Cancel();
            Assert.Equal(FiberState.Cancelled, f.State);
            Fiber.TimeoutAfter(TimeSpan.MaxValue, () => Fiber.Sleep(0.001));
        });

    [Fact]
    public void Bad_options_throw_naming_the_option_before_anything_is_created()
    {
        Assert.Equal("LongBlockWarning", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Fiber.Run(() => { }, new FiberOptions { LongBlockWarning = TimeSpan.FromDays(400) })).ParamName);
        Assert.Equal("Schedulers", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Fiber.Run(() => { }, new FiberOptions { Schedulers = int.MaxValue })).ParamName);
        Assert.Equal("ForeignBlockHandoff", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Fiber.Run(() => { }, new FiberOptions { ForeignBlockHandoff = TimeSpan.FromDays(400) })).ParamName);
        var nan = Assert.Throws<FiberFailedException>(() => Fiber.Run(() => Fiber.Sleep(double.NaN)));
        Assert.Equal("seconds", Assert.IsType<ArgumentOutOfRangeException>(nan.InnerException).ParamName);
        Fiber.Run(() => { });   // and the next run is fine
    }

    // ---- A child process disposed while fibers wait for its exit ------------------------------------

    [Fact]
    public void Every_fiber_waiting_for_a_child_disposed_meanwhile_gets_the_same_outcome() =>
        K.Run(() =>
        {
            FiberChildProcess child = FiberProcess.Start("sleep", "30");
            var waiters = Enumerable.Range(0, 4).Select(_ => Fiber.Spawn(() => child.WaitForExit())).ToArray();
            K.UntilBlocked(waiters);
            child.Dispose();   // kills, reaps, closes the pidfd under them
            int[] codes = waiters.Select(w => ((Fiber<int>)w).Join()).ToArray();
            Assert.All(codes, c => Assert.Equal(128 + 9, c));
        });
}

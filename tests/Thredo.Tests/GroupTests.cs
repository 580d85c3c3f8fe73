namespace Thredo.Tests;

public class GroupTests
{
    [Fact]
    public void All_waits_for_every_member() =>
        K.Run(() =>
        {
            using var g = new FiberGroup(GroupWait.All);
            var fs = Enumerable.Range(1, 5).Select(i => g.Spawn(() => { Fiber.Sleep(K.Ms(i * 2)); return i; })).ToList();
            g.Join();
            Assert.All(fs, f => Assert.Equal(FiberState.Completed, f.State));
            Assert.Equal(15, fs.Sum(f => f.Result));
            Assert.Null(g.Completed);
        });

    [Fact]
    public void A_failing_member_cancels_the_others_and_Join_throws_every_failure()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using var g = new FiberGroup();
            var slow = g.Spawn(() =>
            {
                try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
                catch (FiberCancelledException) { trace.Add("slow cancelled"); throw; }
            });
            // Both fail before a blocking operation, so the first failure's cancellation cannot stop the second.
            g.Spawn(() => throw new InvalidDataException("one"));
            g.Spawn(() => throw new FormatException("two"));
            var e = Assert.Throws<FiberGroupException>(g.Join);
            Assert.Equal(2, e.InnerExceptions.Count);
            Assert.Contains(e.InnerExceptions, x => x is InvalidDataException);
            Assert.Contains(e.InnerExceptions, x => x is FormatException);
            Assert.Equal(FiberState.Cancelled, slow.State);
        });
        trace.Is("slow cancelled");
    }

    [Fact]
    public void Any_lets_the_first_to_finish_win_and_cancels_the_rest() =>
        K.Run(() =>
        {
            using var g = new FiberGroup(GroupWait.Any);
            var slow = g.Spawn(() => { Fiber.Sleep(TimeSpan.FromSeconds(30)); return "slow"; });
            var fast = g.Spawn(() => { Fiber.Sleep(K.Ms(1)); return "fast"; });
            g.Join();
            Assert.Same(fast, g.Completed);
            Assert.Equal("fast", g.Result);
            Assert.Equal(FiberState.Cancelled, slow.State);
        });

    [Fact]
    public void Object_lets_the_first_non_null_result_win() =>
        K.Run(() =>
        {
            using var g = new FiberGroup(GroupWait.Object);
            g.Spawn<string?>(() => null);
            var answer = g.Spawn<string?>(() => { Fiber.Sleep(K.Ms(5)); return "answer"; });
            var late = g.Spawn<string?>(() => { Fiber.Sleep(TimeSpan.FromSeconds(30)); return "late"; });
            g.Join();
            Assert.Same(answer, g.Completed);
            Assert.Equal("answer", g.Result);
            Assert.Equal(FiberState.Cancelled, late.State);
        });

    [Fact]
    public void None_cancels_every_member_when_the_group_ends()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            using (var g = new FiberGroup(GroupWait.None))
            {
                for (int i = 0; i < 3; i++)
                    g.Spawn(() =>
                    {
                        try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
                        catch (FiberCancelledException) { trace.Add("worker cancelled"); throw; }
                    });
                Fiber.Yield();
            }
            trace.Add("group ended");
        });
        trace.Is("worker cancelled", "worker cancelled", "worker cancelled", "group ended");
    }

    [Fact]
    public void Dispose_without_Join_applies_the_policy_and_leaves_no_member_running() =>
        K.Run(() =>
        {
            Fiber member;
            using (var g = new FiberGroup(GroupWait.All))
                member = g.Spawn(() => Fiber.Sleep(K.Ms(5)));
            Assert.Equal(FiberState.Completed, member.State);
        });

    [Fact]
    public void Cancelling_the_owner_while_it_joins_cancels_the_members() =>
        K.Run(() =>
        {
            Fiber? member = null;
            var owner = Fiber.Spawn(() =>
            {
                using var g = new FiberGroup();
                member = g.Spawn(() => Fiber.Sleep(Timeout.InfiniteTimeSpan));
                g.Join();
            });
            Fiber.Yield();
            owner.Cancel();
            Assert.Equal(FiberState.Cancelled, owner.State);
            Assert.Equal(FiberState.Cancelled, member!.State);
        });

    [Fact]
    public void An_exception_leaving_the_group_scope_by_timeout_cancels_the_members() =>
        K.Run(() =>
        {
            Fiber? member = null;
            Assert.Throws<FiberTimeoutException>(() => Fiber.TimeoutAfter(K.Ms(5), () =>
            {
                using var g = new FiberGroup();
                member = g.Spawn(() => Fiber.Sleep(Timeout.InfiniteTimeSpan));
                Fiber.Sleep(Timeout.InfiniteTimeSpan);
            }));
            Assert.Equal(FiberState.Cancelled, member!.State);
        });

    [Fact]
    public void A_joined_group_refuses_new_members() =>
        K.Run(() =>
        {
            var g = new FiberGroup();
            g.Spawn(() => { });
            g.Join();
            Assert.Throws<InvalidOperationException>(() => g.Spawn(() => { }));
            g.Dispose();
        });

    [Fact]
    public void Group_arguments_are_checked() =>
        K.Run(() =>
        {
            Assert.Equal("wait", Assert.Throws<ArgumentOutOfRangeException>(() => new FiberGroup((GroupWait)42)).ParamName);
            using var g = new FiberGroup();
            Assert.Equal("body", Assert.Throws<ArgumentNullException>(() => g.Spawn(null!)).ParamName);
        });
}

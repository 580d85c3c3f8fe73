#pragma warning disable CA2201 // the tests stand in for the runtime, which reports a refused thread as OutOfMemoryException
using Thredo.Kernel;

namespace Thredo.Tests.Kernel;

/// <summary>A fiber that cannot get a thread fails with an exception naming the limit, its value and how to raise it.</summary>
public class ThreadLimitsTests
{
    private static ThreadLimits Limits(long threads = 2_000, long mappings = 9_000) =>
        new(ThreadsMax: 192_739, PidMax: 32_768, MaxMapCount: 65_530, MaxProcesses: 96_369, Threads: threads, Mappings: mappings);

    [Fact]
    public void Exhausted_mappings_are_named_with_their_value_and_the_sysctl_to_raise()
    {
        FiberLimitException e = Limits(mappings: 65_500).Diagnose(new OutOfMemoryException("Thread failed to start."));
        Assert.Equal("vm.max_map_count", e.Limit);
        Assert.Equal(65_530, e.CurrentValue);
        Assert.Equal(65_500, e.Usage);
        Assert.Contains("sysctl -w vm.max_map_count", e.Message);
        Assert.Contains("65530", e.Message);
        Assert.IsType<OutOfMemoryException>(e.InnerException);
    }

    [Fact]
    public void Threads_at_the_pid_limit_name_kernel_pid_max()
    {
        FiberLimitException e = Limits(threads: 32_760).Diagnose(new OutOfMemoryException());
        Assert.Equal("kernel.pid_max", e.Limit);
        Assert.Contains("sysctl -w kernel.pid_max", e.Message);
    }

    [Fact]
    public void With_no_limit_near_exhaustion_the_message_points_at_memory_and_names_no_limit()
    {
        FiberLimitException e = Limits().Diagnose(new OutOfMemoryException());
        Assert.Null(e.Limit);
        Assert.Contains("StackSizeBytes", e.Message);
    }

    [Fact]
    public void Headroom_is_the_tightest_limit()
    {
        Assert.Equal(32_768 - 2_000, (Limits() with { MaxMapCount = 1_000_000 }).Headroom);   // pid_max
        Assert.Equal((65_530 - 65_000) / ThreadLimits.MappingsPerThread, Limits(mappings: 65_000).Headroom);
        Assert.Null(new ThreadLimits(null, null, null, null, null, null).Headroom);
    }

    [Fact]
    public void The_limits_of_this_machine_are_read()
    {
        ThreadLimits limits = ThreadLimits.Read();
        if (!OperatingSystem.IsLinux())
            return;
        Assert.True(limits.ThreadsMax > 0 && limits.PidMax > 0 && limits.MaxMapCount > 0 && limits.MaxProcesses > 0);
        Assert.True(limits.Threads > 0 && limits.Mappings > 0);
    }

    [Fact]
    public void A_fiber_whose_thread_cannot_start_fails_with_FiberLimitException_and_the_rest_run_on() =>
        K.RunOneKernel(() =>
        {
            Fiber.Current.Runtime.InjectedThreadFailures = 1;
            var starved = Fiber.Spawn(() => { }, "starved");
            var e = Assert.Throws<FiberFailedException>(starved.Join);   // main blocks: starved is dispatched to a new thread
            Assert.IsType<FiberLimitException>(e.InnerException);
            Assert.Equal(FiberState.Faulted, starved.State);
            Assert.Equal(42, Fiber.Spawn(() => 42).Join());
        });

    [Fact]
    public void Thousands_of_fibers_failing_for_a_limit_in_a_row_are_each_reported_and_the_kernel_goes_on() =>
        Fiber.Run(() =>
        {
            // At a real limit every fresh fiber in the queue fails where it would start; the kernel
            // must pick the next one in a loop (it once recursed per failure and overflowed its stack).
            // Armed before the spawns, so every one fails wherever it is first dispatched.
            const int N = 20_000;
            int reported = 0;
            Fiber.Current.Runtime.Sink = (_, _) => reported++;
            Fiber.Current.Runtime.InjectedThreadFailures = N;
            var fibers = new Fiber[N];
            for (int i = 0; i < N; i++)
                fibers[i] = Fiber.Spawn(() => { }, $"starved {i}");
            foreach (Fiber f in fibers)   // main blocks: every queued fiber is dispatched to a new thread
                Assert.Throws<FiberFailedException>(f.Join);
            Assert.Equal("", string.Join(",", fibers.Where(f => f.Exception is not FiberLimitException).Select(f => $"{f.Name} {f.State}").Take(5)));
            Assert.True(reported >= N - 1, $"{reported} reported");   // failed before their join: each reported once
            Assert.Equal(42, Fiber.Spawn(() => 42).Join());
        }, K.Options with { Schedulers = 1, ForeignBlockHandoff = Timeout.InfiniteTimeSpan });   // spawning 20,000 under load must not be handed off mid-loop
}

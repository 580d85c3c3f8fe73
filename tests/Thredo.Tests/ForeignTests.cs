namespace Thredo.Tests;

public class ForeignTests
{
    [Fact]
    public void RunBlocking_lets_other_fibers_run_meanwhile()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var gate = new ManualResetEventSlim();
            var ticker = Fiber.Spawn(() => { trace.Add("ticker ran"); gate.Set(); });
            // The foreign call waits for the ticker: it would hang if it held the kernel.
            int v = Fiber.RunBlocking(() => { gate.Wait(); return 7; });
            trace.Add($"blocking returned {v}");
            ticker.Join();
        });
        trace.Is("ticker ran", "blocking returned 7");
    }

    [Fact]
    public void RunBlocking_delivers_a_cancellation_that_arrived_meanwhile_at_the_next_blocking_operation()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var inside = new ManualResetEventSlim();
            var release = new ManualResetEventSlim();
            var f = Fiber.Spawn(() =>
            {
                Fiber.RunBlocking(() => { inside.Set(); release.Wait(); });
                trace.Add("foreign call finished");
                try { Fiber.Yield(); }
                catch (FiberCancelledException) { trace.Add("delivered"); throw; }
            });
            Fiber.RunBlocking(inside.Wait);
            f.Cancel(wait: false);
            release.Set();
            f.Wait();
        });
        trace.Is("foreign call finished", "delivered");
    }

    [Fact]
    public void RunBlocking_returns_the_work_exception() =>
        K.Run(() => Assert.Throws<InvalidDataException>(() => Fiber.RunBlocking(() => throw new InvalidDataException())));

    [Fact]
    public void Await_returns_the_result_and_rethrows_the_task_exception() =>
        K.Run(() =>
        {
            Assert.Equal(4, Fiber.Await(Task.Run(async () => { await Task.Delay(5); return 4; })));
            Assert.Throws<InvalidDataException>(() => Fiber.Await(Task.Run(async () => { await Task.Delay(5); throw new InvalidDataException(); })));
            Fiber.Await(Task.CompletedTask);
        });

    [Fact]
    public void Await_blocks_only_the_fiber_not_the_kernel()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var tcs = new TaskCompletionSource<int>();
            var other = Fiber.Spawn(() => { trace.Add("other ran"); tcs.SetResult(1); });
            trace.Add($"awaited {Fiber.Await(tcs.Task)}");
            other.Join();
        });
        trace.Is("other ran", "awaited 1");
    }

    [Fact]
    public void Cancelling_a_fiber_in_Await_stops_the_wait() =>
        K.Run(() =>
        {
            var never = new TaskCompletionSource();
            var f = Fiber.Spawn(() => Fiber.Await(never.Task));
            Fiber.Yield();
            f.Cancel();
            Assert.Equal(FiberState.Cancelled, f.State);
            never.SetResult();   // completing it later is harmless
        });

    [Fact]
    public void Await_off_a_fiber_blocks_the_thread() =>
        Assert.Equal(2, Fiber.Await(Task.FromResult(2)));

    [Fact]
    public void Foreign_arguments_are_checked() =>
        K.Run(() =>
        {
            Assert.Equal("work", Assert.Throws<ArgumentNullException>(() => Fiber.RunBlocking((Action)null!)).ParamName);
            Assert.Equal("task", Assert.Throws<ArgumentNullException>(() => Fiber.Await(null!)).ParamName);
        });
}

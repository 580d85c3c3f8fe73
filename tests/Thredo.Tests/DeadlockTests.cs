namespace Thredo.Tests;

public class DeadlockTests
{
    [Fact]
    public void Fibers_waiting_on_each_other_are_reported_with_what_they_wait_on()
    {
        var e = Assert.Throws<FiberDeadlockException>(() => K.Run(() =>
        {
            var a = new FiberEvent();
            var b = new FiberEvent();
            Fiber.Spawn(() => { a.Wait(); b.Set(); }, "left");
            Fiber.Spawn(() => { b.Wait(); a.Set(); }, "right");
            new FiberEvent().Wait();
        }));
        Assert.Contains("'left' is blocked in Wait on FiberEvent", e.Message);
        Assert.Contains("'right' is blocked in Wait on FiberEvent", e.Message);
        Assert.Contains("'main' is blocked in", e.Message);
    }

    [Fact]
    public void Deadlocked_fibers_are_cancelled_so_their_cleanup_runs()
    {
        var trace = new Trace();
        Assert.Throws<FiberDeadlockException>(() => K.RunOneKernel(() =>
        {
            try { new FiberEvent().Wait(); }
            finally { trace.Add("main cleanup"); }
        }));
        trace.Is("main cleanup");
    }

    [Fact]
    public void A_wait_on_a_primitive_a_plain_thread_has_used_is_not_a_deadlock() =>
        K.Run(() =>
        {
            var e = new FiberEvent();
            Fiber.RunBlocking(() => e.Clear());   // RunBlocking runs off the kernel: a plain-thread use
            var setter = new Thread(() => { Thread.Sleep(50); e.Set(); });
            setter.Start();
            e.Wait();   // nothing in the kernel can set it, but the thread can
            setter.Join();
        });

    [Fact]
    public void A_fiber_awaiting_a_task_is_not_deadlocked() =>
        K.Run(() => Assert.Equal(9, Fiber.Await(Task.Run(async () => { await Task.Delay(30); return 9; }))));

    [Fact]
    public void A_fiber_in_RunBlocking_is_not_deadlocked() =>
        K.Run(() =>
        {
            var e = new FiberEvent();
            var waiter = Fiber.Spawn(() => e.Wait());
            Fiber.RunBlocking(() => Thread.Sleep(30));   // while here, 'waiter' is the only parked fiber
            e.Set();
            waiter.Join();
        });
}

namespace Thredo.Tests.Kernel;

/// <summary>
/// Several kernels: new fibers queue on their spawner's kernel, and an idle kernel takes a backlog of
/// never-started fibers from a busy one. Fibers that have run never move.
/// </summary>
public class StealingTests
{
    private static readonly FiberOptions TwoKernels = K.Options with { Schedulers = 2 };

    [Fact]
    public void An_idle_kernel_takes_never_started_fibers_from_a_busy_one()
    {
        int mainKernel = -1;
        int[] ranOn = new int[4];
        bool[] ranDuringMainsComputation = new bool[4];
        var computing = new ManualResetEventSlim();
        Fiber.Run(() =>
        {
            mainKernel = Fiber.Current.Kernel.Index;
            computing.Set();
            var fibers = Enumerable.Range(0, 4).Select(i => Fiber.Spawn(() =>
            {
                ranOn[i] = Fiber.Current.Kernel.Index;
                ranDuringMainsComputation[i] = computing.IsSet;
            })).ToList();
            K.Compute(300);   // never blocks: only another kernel can run them meanwhile
            computing.Reset();
            fibers.ForEach(f => f.Join());
        }, TwoKernels);
        Assert.Contains(ranOn, k => k != mainKernel);
        Assert.Contains(true, ranDuringMainsComputation);
    }

    [Fact]
    public void A_fiber_that_has_run_stays_on_its_kernel()
    {
        var kernels = new List<(int Before, int After)>();
        Fiber.Run(() =>
        {
            var fibers = Enumerable.Range(0, 8).Select(_ => Fiber.Spawn(() =>
            {
                int before = Fiber.Current.Kernel.Index;
                for (int i = 0; i < 5; i++)
                {
                    Fiber.Sleep(K.Ms(1));
                    Fiber.Yield();
                }
                lock (kernels)
                    kernels.Add((before, Fiber.Current.Kernel.Index));
            })).ToList();
            K.Compute(50);
            fibers.ForEach(f => f.Join());
        }, TwoKernels);
        Assert.Equal(8, kernels.Count);
        Assert.All(kernels, k => Assert.Equal(k.Before, k.After));
    }

    [Fact]
    public void A_fresh_fiber_cancelled_while_it_may_be_stolen_ends_Cancelled()
    {
        for (int round = 0; round < 50; round++)
        {
            Fiber.Run(() =>
            {
                var fibers = Enumerable.Range(0, 4).Select(_ => Fiber.Spawn(() => Fiber.Sleep(TimeSpan.FromSeconds(30)))).ToList();
                K.Compute(1);
                foreach (Fiber f in fibers)
                    f.Cancel();
                Assert.All(fibers, f => Assert.Equal(FiberState.Cancelled, f.State));
            }, TwoKernels);
        }
    }

    [Fact]
    public void A_deadlock_spanning_two_kernels_is_reported()
    {
        var e = Assert.Throws<FiberDeadlockException>(() => Fiber.Run(() =>
        {
            var never = new FiberEvent();
            var waiters = Enumerable.Range(0, 4).Select(i => Fiber.Spawn(never.Wait, $"waiter {i}")).ToList();
            K.Compute(5);   // let the other kernel take some
            never.Wait();
        }, TwoKernels));
        Assert.Contains("waiter 3", e.Message);
    }
}

using BenchmarkDotNet.Attributes;

namespace Thredo.Benchmarks.Kernel;

/// <summary>
/// Start <see cref="Count"/> trivial units of work and wait for each: fibers (inside one
/// <c>Fiber.Run</c>) vs <c>Task.Run</c> + <c>await</c>. Results are per unit.
/// </summary>
/// <remarks>
/// Every spawned fiber is given a pooled OS thread at spawn, so 10,000 spawned fibers are 10,000
/// threads. GlobalSetup fills the pool first (threads retire after 10 s idle, and invocations come
/// far more often), so this measures spawn+join on pooled threads, not thread creation (about
/// 1-2 ms per thread on this VM; see docs/benchmarks.md).
/// </remarks>
public class SpawnJoinBenchmarks
{
    private const int Count = 10_000;

    /// <summary>Creates the 10,000 pooled fiber threads up front, in batches (see <see cref="ParkedFibers.SpawnParked"/>).</summary>
    [GlobalSetup(Target = nameof(FiberSpawnJoin))]
    public void WarmFiberThreads() => ParkedFibers.WarmPool(Count);

    [Benchmark(Baseline = true, OperationsPerInvoke = Count)]
    public async Task TaskRunAwait()
    {
        var tasks = new Task[Count];
        for (int i = 0; i < Count; i++)
            tasks[i] = Task.Run(static () => { });
        foreach (Task t in tasks)
            await t.ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public void FiberSpawnJoin() => Fiber.Run(static () =>
    {
        var fibers = new Fiber[Count];
        for (int i = 0; i < Count; i++)
            fibers[i] = Fiber.Spawn(static () => { });
        foreach (Fiber f in fibers)
            f.Join();
    });
}

/// <summary>What one empty <c>Fiber.Run</c> costs (runtime, kernel, poller, one fiber on a pooled thread).</summary>
public class FiberRunOverheadBenchmarks
{
    [Benchmark]
    public void EmptyFiberRun() => Fiber.Run(static () => { });
}

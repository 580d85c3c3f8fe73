namespace Thredo.Benchmarks.Kernel;

/// <summary>Spawning thousands of parked fibers without tripping the fiber thread pool's idle timeout.</summary>
internal static class ParkedFibers
{
    /// <summary>Fibers spawned before the spawner lets them run; about a second of thread creation here.</summary>
    private const int Batch = 500;

    /// <summary>
    /// Spawns <paramref name="count"/> fibers that each park on <paramref name="release"/>, and returns
    /// once all are parked. Call inside <c>Fiber.Run</c>.
    /// </summary>
    /// <remarks>
    /// Spawns in batches and lets each batch run and park before the next, so no fiber's pooled thread
    /// waits long for its first baton. Creating a thread takes 1-2 ms on this VM, so spawning 10,000
    /// fibers in one go keeps the first threads waiting for over 10 s, the pool's idle timeout; before
    /// the fix in <c>FiberThread.Loop</c> (a timed-out wait of a thread already assigned a fiber ran
    /// that fiber without the baton) this hung or reported a false deadlock. Batching keeps these
    /// measurements independent of that path.
    /// </remarks>
    internal static Fiber[] SpawnParked(int count, FiberEvent release)
    {
        var fibers = new Fiber[count];
        int parked = 0;
        for (int start = 0; start < count; start += Batch)
        {
            int end = Math.Min(count, start + Batch);
            for (int i = start; i < end; i++)
            {
                fibers[i] = Fiber.Spawn(() =>
                {
                    Interlocked.Increment(ref parked);
                    release.Wait();
                });
            }
            while (Volatile.Read(ref parked) < end)
                Fiber.Sleep(TimeSpan.FromMilliseconds(1));
        }
        return fibers;
    }

    /// <summary>
    /// Makes the fiber thread pool for <paramref name="stackSizeBytes"/> hold at least
    /// <paramref name="count"/> idle threads (they retire after 10 s unused).
    /// </summary>
    internal static void WarmPool(int count, int stackSizeBytes = 256 * 1024) => Fiber.Run(() =>
    {
        var release = new FiberEvent();
        Fiber[] fibers = SpawnParked(count, release);
        release.Set();
        foreach (Fiber f in fibers)
            f.Join();
    }, new FiberOptions { StackSizeBytes = stackSizeBytes });
}

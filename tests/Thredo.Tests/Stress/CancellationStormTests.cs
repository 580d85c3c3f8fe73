using System.Diagnostics;
using Xunit.Abstractions;

namespace Thredo.Tests.Stress;

/// <summary>
/// Thousands of fibers block in every kind of primitive while main cancels them at random (and toggles
/// events, notifies conditions, and takes from queues). Afterwards every primitive is back in a
/// consistent state: locks free, semaphore permits restored, no waiter left anywhere, and the queue holds
/// exactly the items put and not got, each counted as unfinished work.
/// </summary>
[Collection("stress")]
public class CancellationStormTests(ITestOutputHelper output)
{
    private const int Fibers = 2_000, OpsPerFiber = 20, Permits = 3;

    [Fact]
    public void A_random_cancellation_storm_leaves_every_primitive_consistent()
    {
        int seed = StressRun.Seed(output, "cancellation storm");
        var lk = new FiberLock();
        var rlk = new FiberRLock();
        var sem = new FiberSemaphore(Permits, max: Permits);
        var ev = new FiberEvent();
        var condLock = new FiberLock();
        var cond = new FiberCondition(condLock);
        var q = new FiberQueue<int>(maxSize: 8);
        var put = new int[Fibers * OpsPerFiber];
        var got = new int[Fibers * OpsPerFiber];
        int tick = 0, inLock = 0, inRLock = 0, inSem = 0, cancelled = 0, gotByMain = 0;
        var fibers = new List<Fiber>();
        var sw = Stopwatch.StartNew();

        void Body(Random r, int first)
        {
            for (int op = 0; op < OpsPerFiber; op++)
            {
                switch (r.Next(9))
                {
                    case 0:
                        using (lk.Acquire())
                        {
                            Assert.Equal(1, Interlocked.Increment(ref inLock));   // mutual exclusion holds throughout
                            try { Fiber.Yield(); }
                            finally { Interlocked.Decrement(ref inLock); }
                        }
                        break;
                    case 1:
                        using (rlk.Acquire())
                        {
                            Assert.Equal(1, Interlocked.Increment(ref inRLock));
                            try { using (rlk.Acquire()) Fiber.Yield(); }
                            finally { Interlocked.Decrement(ref inRLock); }
                        }
                        break;
                    case 2:
                        sem.Acquire();
                        try
                        {
                            Assert.True(Interlocked.Increment(ref inSem) <= Permits);
                            try { Fiber.Sleep(K.Ms(r.Next(0, 2))); }
                            finally { Interlocked.Decrement(ref inSem); }
                        }
                        finally
                        {
                            sem.Release();
                        }
                        break;
                    case 3:
                        ev.Wait();
                        break;
                    case 4:
                        using (cond.Acquire())
                        {
                            int seen = tick;
                            cond.WaitFor(() => tick != seen);
                        }
                        break;
                    case 5:
                        q.Put(first + op);
                        put[first + op]++;   // no blocking operation between: a returned Put is recorded
                        break;
                    case 6:
                        got[q.Get()]++;
                        q.TaskDone();
                        break;
                    case 7:
                        Fiber.IgnoreAfter(K.Ms(r.Next(1, 3)), q.Join);
                        break;
                    default:
                        using (Fiber.DisableCancellation())   // a cancellation arriving here waits for the scope's end
                            Fiber.Sleep(K.Ms(r.Next(0, 2)));
                        break;
                }
            }
        }

        Fiber.Run(() =>
        {
            var main = new Random(seed);
            for (int i = 0; i < Fibers; i++)
            {
                int fs = main.Next(), first = i * OpsPerFiber;
                fibers.Add(Fiber.Spawn(() => Body(new Random(fs), first), $"storm {i}"));
            }
            var live = fibers.ToList();
            while (live.Count > 0)
            {
                switch (main.Next(6))
                {
                    case 0: ev.Set(); break;
                    case 1: ev.Clear(); break;
                    case 2:
                        using (cond.Acquire()) { tick++; if (main.Next(2) == 0) cond.NotifyAll(); else cond.Notify(main.Next(1, 20)); }
                        break;
                    case 3:
                        if (q.TryGet(out int item)) { got[item]++; q.TaskDone(); gotByMain++; }
                        break;
                    default:
                        for (int c = main.Next(0, 12); c > 0; c--)
                            if (live[main.Next(live.Count)].Cancel(wait: false) is false) cancelled++;
                        break;
                }
                if (main.Next(3) == 0) Fiber.Sleep(K.Ms(1)); else Fiber.Yield();
                live.RemoveAll(f => f.IsCompleted);
            }
        }, StressRun.Options());

        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s; {fibers.Count(f => f.State == FiberState.Cancelled)} fibers cancelled " +
                         $"({cancelled} requests), {put.Sum()} items put, {got.Sum()} got ({gotByMain} by main)");
        var faulted = fibers.FirstOrDefault(f => f.State == FiberState.Faulted);
        Assert.True(faulted is null, $"{faulted} faulted: {faulted?.Exception}");
        Assert.Contains(fibers, f => f.State == FiberState.Cancelled);

        Assert.Equal("FiberLock(free, 0 waiting)", lk.ToString());
        Assert.Equal("FiberRLock(free, 0 waiting)", rlk.ToString());
        Assert.Equal($"FiberSemaphore({Permits}/{Permits} free, 0 waiting)", sem.ToString());
        Assert.EndsWith(", 0 waiting)", ev.ToString(), StringComparison.Ordinal);
        Assert.Equal("FiberCondition(FiberLock(free, 0 waiting), 0 waiting)", cond.ToString());
        var left = new int[put.Length];
        int queued = q.Count;
        Assert.Equal($"FiberQueue<Int32>({queued}/8 items, {queued} unfinished, 0 getting, 0 putting, 0 joining)", q.ToString());
        while (q.TryGet(out int item)) left[item]++;
        for (int i = 0; i < put.Length; i++)
        {
            Assert.True(put[i] <= 1, $"item {i} put {put[i]} times");
            Assert.True(got[i] + left[i] == put[i], $"item {i}: put {put[i]}, got {got[i]}, left {left[i]}");
        }
    }
}

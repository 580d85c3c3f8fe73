using System.Diagnostics;
using Xunit.Abstractions;

namespace Thredo.Tests.Stress;

/// <summary>
/// 10,000 fibers pass items through every kind of queue while a random tenth-or-so of them is cancelled:
/// every item put is got exactly once or is still queued, nothing is got that was not put, and every fiber ends.
/// </summary>
/// <remarks>
/// Each fiber is a pooled OS thread. This machine could hold 10,000 live threads (threads-max 192730,
/// ulimit -u 96365, pid_max 32768, vm.max_map_count 65530 at about two maps per thread), but it is shared
/// with other test runs and pid_max leaves little room, so the 10,000 fibers run in 5 waves of 2,000
/// (1,000 producers and 1,000 consumers): at most about 2,000 fiber threads are alive at once, and the
/// pool reuses them from wave to wave. Items left in the queues by one wave are got by the next.
/// </remarks>
[Collection("stress")]
public class QueueStressTests(ITestOutputHelper output)
{
    private const int Waves = 5, ProducersPerWave = 1_000, ConsumersPerWave = 1_000, ItemsPerProducer = 5;
    private const int Items = Waves * ProducersPerWave * ItemsPerProducer;

    [Fact]
    public void Ten_thousand_fibers_under_random_cancellation_lose_and_duplicate_no_item() => Run(schedulers: 1);

    [Fact]
    public void Ten_thousand_fibers_on_two_schedulers_under_random_cancellation_lose_and_duplicate_no_item() => Run(schedulers: 2);

    /// <summary>The three queue kinds behind one face, bounded and not.</summary>
    private sealed class AnyQueue(string name, Action<int> put, Func<int> get, TryGetter tryGet)
    {
        public readonly string Name = name;
        public void Put(int item) => put(item);
        public int Get() => get();
        public bool TryGet(out int item) => tryGet(out item);
    }

    private delegate bool TryGetter(out int item);

    private static AnyQueue[] MakeQueues()
    {
        var fifo = new FiberQueue<int>();
        var fifoBounded = new FiberQueue<int>(maxSize: 4);
        var lifoBounded = new FiberLifoQueue<int>(maxSize: 8);
        var prio = new FiberPriorityQueue<int>();
        var prioBounded = new FiberPriorityQueue<int>(maxSize: 2);
        return
        [
            new(fifo.ToString(), fifo.Put, fifo.Get, fifo.TryGet),
            new(fifoBounded.ToString(), fifoBounded.Put, fifoBounded.Get, fifoBounded.TryGet),
            new(lifoBounded.ToString(), lifoBounded.Put, lifoBounded.Get, lifoBounded.TryGet),
            new(prio.ToString(), prio.Put, prio.Get, prio.TryGet),
            new(prioBounded.ToString(), prioBounded.Put, prioBounded.Get, prioBounded.TryGet),
        ];
    }

    private void Run(int schedulers)
    {
        int seed = StressRun.Seed(output, $"queue stress, {schedulers} scheduler(s)");
        var put = new int[Items];
        var got = new int[Items];
        var left = new int[Items];
        var all = new List<Fiber>();
        int cancelsRequested = 0, drainedByMain = 0;
        var sw = Stopwatch.StartNew();

        Fiber.Run(() =>
        {
            var main = new Random(seed);
            AnyQueue[] queues = MakeQueues();
            for (int wave = 0; wave < Waves; wave++)
            {
                var producers = new List<Fiber>();
                var consumers = new List<Fiber>();
                var order = Enumerable.Range(0, ProducersPerWave + ConsumersPerWave).OrderBy(_ => main.Next()).ToList();
                foreach (int slot in order)
                {
                    int fiberSeed = main.Next();
                    if (slot < ProducersPerWave)
                    {
                        int firstItem = (wave * ProducersPerWave + slot) * ItemsPerProducer;
                        producers.Add(Fiber.Spawn(() => Produce(new Random(fiberSeed), queues, firstItem, put), $"producer {firstItem}"));
                    }
                    else
                        consumers.Add(Fiber.Spawn(() => Consume(new Random(fiberSeed), queues, got), "consumer"));
                }
                var waveFibers = producers.Concat(consumers).ToList();
                all.AddRange(waveFibers);

                // About a tenth of the wave is cancelled, at random moments while it runs.
                var toCancel = waveFibers.OrderBy(_ => main.Next()).Take(waveFibers.Count / 10).ToList();
                int rounds = 0;
                while (producers.Any(p => !p.IsCompleted))
                {
                    rounds++;
                    for (int c = main.Next(0, 40); c > 0 && toCancel.Count > 0; c--)
                    {
                        toCancel[^1].Cancel(wait: false);
                        toCancel.RemoveAt(toCancel.Count - 1);
                        cancelsRequested++;
                    }
                    if (main.Next(2) == 0) Fiber.Yield(); else Fiber.Sleep(K.Ms(1));
                    if (rounds > 200)
                        drainedByMain += Drain(queues, got);   // consumers may all be gone: unblock the putters
                }
                foreach (Fiber c in consumers) c.Cancel(wait: false);
                foreach (Fiber c in consumers) c.Wait();
            }
            foreach (AnyQueue q in queues)
                while (q.TryGet(out int item))
                    left[item]++;
        }, StressRun.Options(schedulers));

        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s; {put.Sum()} of {Items} items put, {got.Sum()} got, {left.Sum()} left queued; " +
                         $"{cancelsRequested} cancels requested, {all.Count(f => f.State == FiberState.Cancelled)} fibers cancelled, {drainedByMain} drained by main");
        Assert.Equal(Waves * (ProducersPerWave + ConsumersPerWave), all.Count);
        var faulted = all.FirstOrDefault(f => f.State == FiberState.Faulted);
        Assert.True(faulted is null, $"{faulted} faulted: {faulted?.Exception}");
        Assert.All(all, f => Assert.True(f.IsCompleted, $"{f} did not end"));
        for (int i = 0; i < Items; i++)
        {
            Assert.True(put[i] <= 1, $"item {i} was put {put[i]} times");
            Assert.True(got[i] + left[i] == put[i], $"item {i}: put {put[i]}, got {got[i]}, left queued {left[i]}");
        }
        Assert.True(put.Sum() > Items / 2, "most items should have been put");
    }

    private static void Produce(Random r, AnyQueue[] queues, int firstItem, int[] put)
    {
        for (int k = 0; k < ItemsPerProducer; k++)
        {
            int item = firstItem + k;
            AnyQueue q = queues[r.Next(queues.Length)];
            if (r.Next(8) == 0)
                Fiber.IgnoreAfter(K.Ms(r.Next(1, 4)), () => { q.Put(item); Interlocked.Increment(ref put[item]); });
            else
            {
                q.Put(item);
                Interlocked.Increment(ref put[item]);   // no blocking operation between: a returned Put is recorded
            }
            switch (r.Next(4))
            {
                case 0: Fiber.Yield(); break;
                case 1: Fiber.Sleep(K.Ms(r.Next(1, 4))); break;   // spreads the wave out, so cancellations land mid-flight
            }
        }
    }

    private static void Consume(Random r, AnyQueue[] queues, int[] got)
    {
        while (true)
        {
            AnyQueue q = queues[r.Next(queues.Length)];
            switch (r.Next(4))
            {
                case 0:
                    if (q.TryGet(out int now)) Interlocked.Increment(ref got[now]);
                    Fiber.Yield();
                    break;
                case 1:
                    Interlocked.Increment(ref got[q.Get()]);
                    break;
                default:
                    Fiber.IgnoreAfter(K.Ms(r.Next(1, 5)), () => Interlocked.Increment(ref got[q.Get()]));
                    break;
            }
        }
    }

    private static int Drain(AnyQueue[] queues, int[] got)
    {
        int n = 0;
        foreach (AnyQueue q in queues)
            while (q.TryGet(out int item))
            {
                Interlocked.Increment(ref got[item]);
                n++;
            }
        return n;
    }
}

namespace Thredo.Tests.Stress;

/// <summary>
/// Values handed to fibers by plain threads on other cores, over and over: a fiber that finds its wait
/// already won when it goes to park reads the waker's value at once, so the value must be stored before
/// the wait is seen as done (a value-type item read too early unboxes null: the bug this found).
/// </summary>
[Collection("stress")]
public class CrossThreadHandOverTests
{
    private const int Producers = 2, ItemsPerProducer = 40_000, Consumers = 3;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Items_put_by_threads_reach_fiber_getters_intact(int schedulers)
    {
        long expected = 0;
        for (long i = 0; i < Producers * ItemsPerProducer; i++)
            expected += i + 1;
        long sum = Fiber.Run(() =>
        {
            var q = new FiberQueue<long>(maxSize: 2);   // small: producers and consumers meet in the handover path
            var started = new TaskCompletionSource();
            var threads = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
            {
                started.TrySetResult();
                for (long i = 0; i < ItemsPerProducer; i++)
                    q.Put(p * ItemsPerProducer + i + 1);
            })).ToList();
            threads.ForEach(t => t.Start());
            Fiber.Await(started.Task);   // a thread has touched the queue: waiting on it is not a deadlock
            var consumers = Enumerable.Range(0, Consumers).Select(_ => Fiber.Spawn(() =>
            {
                long s = 0;
                foreach (long item in q.GetConsumingEnumerable())
                    s += item;
                return s;
            })).ToList();
            Fiber.RunBlocking(() => threads.ForEach(t => t.Join()));
            q.Complete();
            return consumers.Sum(c => c.Join());
        }, StressRun.Options(schedulers));
        Assert.Equal(expected, sum);
    }
}

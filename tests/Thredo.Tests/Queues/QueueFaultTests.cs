namespace Thredo.Tests.Queues;

/// <summary>Exceptions from code that uses queues lose no item and leave the queue consistent.</summary>
public class QueueFaultTests
{
    [Fact]
    public void A_consumer_that_throws_after_Get_fails_and_the_items_it_did_not_take_stay_queued() =>
        K.Run(() =>
        {
            var q = new FiberQueue<int>();
            for (int i = 0; i < 5; i++) q.Put(i);
            var consumer = Fiber.Spawn(() =>
            {
                while (true)
                {
                    int n = q.Get();
                    if (n == 2) throw new InvalidDataException($"bad item {n}");
                    q.TaskDone();
                }
            });
            var e = Assert.Throws<FiberFailedException>(consumer.Join);
            Assert.Equal("bad item 2", e.InnerException!.Message);
            Assert.Equal([3, 4], new[] { q.Get(), q.Get() });
            Assert.Contains("3 unfinished", q.ToString());   // 2, 3 and 4 were never marked done
        });

    [Fact]
    public void A_producer_that_throws_between_puts_leaves_what_it_put() =>
        K.Run(() =>
        {
            var q = new FiberQueue<int>(maxSize: 2);
            var producer = Fiber.Spawn(() =>
            {
                for (int i = 0; ; i++)
                {
                    if (i == 3) throw new InvalidDataException("producer");
                    q.Put(i);
                }
            });
            Fiber.Yield();
            Assert.Equal(0, q.Get());
            Assert.IsType<InvalidDataException>(Assert.Throws<FiberFailedException>(producer.Join).InnerException);
            Assert.Equal([1, 2], new[] { q.Get(), q.Get() });
            Assert.True(q.IsEmpty);
        });

    [Fact]
    public void A_failing_consumer_in_a_group_cancels_the_others_and_no_item_is_lost()
    {
        var got = new System.Collections.Concurrent.ConcurrentBag<int>();
        K.Run(() =>
        {
            var q = new FiberQueue<int>();
            var e = Assert.Throws<FiberGroupException>(() =>
            {
                using var g = new FiberGroup();
                for (int w = 0; w < 3; w++)
                    g.Spawn(() =>
                    {
                        while (true)
                        {
                            int n = q.Get();
                            if (n == 5) throw new InvalidDataException("poison");
                            got.Add(n);
                        }
                    });
                for (int i = 0; i < 10; i++) q.Put(i);
                g.Join();
            });
            Assert.Single(e.InnerExceptions.OfType<InvalidDataException>());
            var rest = new List<int>();
            while (q.TryGet(out int n)) rest.Add(n);
            Assert.Equal(Enumerable.Range(0, 10).Where(i => i != 5), got.Concat(rest).Order());
        });
    }

    [Fact]
    public void An_exception_from_a_comparer_reaches_the_putter_and_leaves_the_queue_usable() =>
        K.Run(() =>
        {
            bool fail = false;
            var q = new FiberPriorityQueue<int>(Comparer<int>.Create((a, b) => fail ? throw new InvalidDataException("comparer") : a.CompareTo(b)));
            q.Put(2);
            fail = true;
            Assert.Throws<InvalidDataException>(() => q.Put(1));
            fail = false;
            Assert.Equal(1, q.Count);   // the failed put left nothing behind
            Assert.Equal(2, q.Get());
            Assert.False(q.TryGet(out int phantom), $"a phantom item {phantom} came out");
            q.TaskDone();
            q.Join();
        });

    [Fact]
    public void A_comparer_that_throws_when_a_blocked_putters_item_moves_in_fails_that_putter_and_the_getter_keeps_its_item() =>
        K.Run(() =>
        {
            bool fail = false;
            var q = new FiberPriorityQueue<int>(maxSize: 2, Comparer<int>.Create((a, b) => fail ? throw new InvalidDataException("comparer") : a.CompareTo(b)));
            q.Put(5);
            q.Put(3);
            var putter = Fiber.Spawn(() => q.Put(1));
            Fiber.Yield();
            fail = true;
            Assert.Equal(3, q.Get());   // taking the top of two needs no comparison; moving 1 in does
            Assert.IsType<InvalidDataException>(Assert.Throws<FiberFailedException>(putter.Join).InnerException);
            fail = false;
            Assert.Equal(1, q.Count);
            Assert.Equal(5, q.Get());
            Assert.True(q.IsEmpty);
            Assert.Contains("2 unfinished, 0 getting, 0 putting", q.ToString());   // the failed put counts no work
        });

    [Fact]
    public async Task A_comparer_that_throws_when_a_PutAsync_item_moves_in_faults_that_put()
    {
        bool fail = false;
        var q = new FiberPriorityQueue<int>(maxSize: 2, Comparer<int>.Create((a, b) => fail ? throw new InvalidDataException("comparer") : a.CompareTo(b)));
        await q.PutAsync(5);
        await q.PutAsync(3);
        Task blocked = q.PutAsync(1).AsTask();
        fail = true;
        Assert.True(q.TryGet(out int got));
        Assert.Equal(3, got);
        await Assert.ThrowsAsync<InvalidDataException>(() => blocked);
        fail = false;
        Assert.Equal(5, await q.GetAsync());
    }
}

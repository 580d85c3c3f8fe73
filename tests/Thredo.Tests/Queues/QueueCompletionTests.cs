namespace Thredo.Tests.Queues;

/// <summary>
/// Complete, TryPut and GetConsumingEnumerable on all three queue kinds. Every assertion is about order
/// and counts (who got which item, who threw what), never about how long anything took.
/// </summary>
public class QueueCompletionTests
{
    public static TheoryData<string> Kinds => new() { "FiberQueue", "FiberLifoQueue", "FiberPriorityQueue" };

    private static FiberQueueBase<T> Make<T>(string kind, int maxSize = 0) => kind switch
    {
        "FiberQueue" => new FiberQueue<T>(maxSize),
        "FiberLifoQueue" => new FiberLifoQueue<T>(maxSize),
        "FiberPriorityQueue" => new FiberPriorityQueue<T>(maxSize),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Yields until <paramref name="q"/> shows <paramref name="state"/> (e.g. "2 getting"): a plain thread or task has reached its wait.</summary>
    private static void UntilShows<T>(FiberQueueBase<T> q, string state)
    {
        while (!q.ToString().Contains(state, StringComparison.Ordinal))
            Fiber.Yield();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Getters_drain_what_is_left_in_the_queues_order_then_Get_throws(string kind) =>
        K.Run(() =>
        {
            var q = Make<int>(kind);
            q.Put(2);
            q.Put(3);
            q.Put(1);
            q.Complete();
            Assert.False(q.IsCompleted);   // items remain
            Assert.Contains("3 items, 3 unfinished, 0 getting, 0 putting, 0 joining, completed", q.ToString());
            int[] expected = kind switch
            {
                "FiberQueue" => [2, 3, 1],
                "FiberLifoQueue" => [1, 3, 2],
                _ => [1, 2, 3],
            };
            Assert.Equal(expected[0], q.Get());
            Assert.True(q.TryGet(out int second));
            Assert.Equal(expected[1], second);
            Assert.Equal(expected[2], q.Get());
            Assert.True(q.IsCompleted);
            var e = Assert.Throws<FiberQueueCompletedException>(() => q.Get());
            Assert.Contains($"{kind}<Int32> is complete and empty", e.Message);
            Assert.Throws<FiberQueueCompletedException>(() => q.Get());   // and again
            Assert.False(q.TryGet(out int none));
            Assert.Equal(0, none);
            Assert.Empty(q.GetConsumingEnumerable());
            for (int i = 0; i < 3; i++) q.TaskDone();   // work tracking is unaffected
            q.Join();
            Assert.Throws<InvalidOperationException>(q.TaskDone);
        });

    [Fact]
    public void Complete_is_idempotent_and_callable_from_plain_threads() =>
        K.Run(() =>
        {
            var q = new FiberQueue<string>();
            q.Put("a");
            Fiber.Await(Task.Run(q.Complete));
            Fiber.Await(Task.Run(q.Complete));
            q.Complete();
            Assert.Equal("a", q.Get());
            Assert.True(q.IsCompleted);
            Assert.Throws<FiberQueueCompletedException>(q.Get);
        });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Getters_blocked_on_an_empty_queue_are_woken_by_Complete(string kind) =>
        K.Run(() =>
        {
            var q = Make<int>(kind);
            var trace = new Trace();
            var getters = Enumerable.Range(0, 3).Select(i => Fiber.Spawn(() =>
            {
                try { q.Get(); }
                catch (FiberQueueCompletedException) { trace.Add("getter woken"); }
            })).ToList();
            var consumers = Enumerable.Range(0, 2).Select(i => Fiber.Spawn(() =>
            {
                foreach (int _ in q.GetConsumingEnumerable()) trace.Add("consumer got an item");
                trace.Add("consumer ended");
            })).ToList();
            Exception? threadGot = null;
            var thread = new Thread(() => { try { q.Get(); } catch (Exception e) { threadGot = e; } });
            thread.Start();
            K.UntilBlocked([.. getters, .. consumers]);
            UntilShows(q, "6 getting");   // 5 fibers and the thread
            Task<int> asyncGet = q.GetAsync().AsTask();
            Assert.Contains("7 getting", q.ToString());
            q.Complete();
            getters.ForEach(f => f.Join());
            consumers.ForEach(f => f.Join());
            Fiber.RunBlocking(thread.Join);
            Assert.IsType<FiberQueueCompletedException>(threadGot);
            Assert.Throws<FiberQueueCompletedException>(() => Fiber.Await(asyncGet));
            Assert.Equal(3, trace.Items.Count(s => s == "getter woken"));
            Assert.Equal(2, trace.Items.Count(s => s == "consumer ended"));
            Assert.DoesNotContain("consumer got an item", trace.Items);
            Assert.Contains("0 items, 0 unfinished, 0 getting, 0 putting, 0 joining, completed", q.ToString());
        });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Putters_blocked_on_a_full_queue_are_woken_by_Complete_with_nothing_put(string kind) =>
        K.Run(() =>
        {
            var q = Make<int>(kind, maxSize: 2);
            q.Put(1);
            q.Put(2);
            var putters = new[] { 10, 11, 12 }.Select(n => Fiber.Spawn(() => q.Put(n))).ToList();
            Exception? threadGot = null;
            var thread = new Thread(() => { try { q.Put(20); } catch (Exception e) { threadGot = e; } });
            thread.Start();
            K.UntilBlocked([.. putters]);
            UntilShows(q, "4 putting");
            Task asyncPut = q.PutAsync(30).AsTask();
            Assert.Contains("2/2 items, 2 unfinished, 0 getting, 5 putting", q.ToString());
            q.Complete();
            foreach (Fiber f in putters)
            {
                // Exactly InvalidOperationException: a put fails because of Complete, not because the queue is empty.
                var e = Assert.IsType<InvalidOperationException>(Assert.Throws<FiberFailedException>(f.Join).InnerException);
                Assert.Contains("the item given to Put was not put", e.Message);
            }
            Fiber.RunBlocking(thread.Join);
            Assert.IsType<InvalidOperationException>(threadGot);
            Assert.Contains("PutAsync", Assert.Throws<InvalidOperationException>(() => Fiber.Await(asyncPut)).Message);
            Assert.Contains("2/2 items, 2 unfinished, 0 getting, 0 putting, 0 joining, completed", q.ToString());
            Assert.Equal([1, 2], new[] { q.Get(), q.Get() }.Order());   // no putter's item got in
            Assert.Throws<FiberQueueCompletedException>(() => q.Get());
        });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Put_TryPut_and_PutAsync_after_Complete_throw_InvalidOperationException(string kind) =>
        K.Run(() =>
        {
            var q = Make<int>(kind);
            q.Put(1);
            q.Complete();
            Assert.Contains("Complete was called", Assert.Throws<InvalidOperationException>(() => q.Put(2)).Message);
            Assert.Throws<InvalidOperationException>(() => q.TryPut(3));
            ValueTask putAsync = q.PutAsync(4);
            Assert.True(putAsync.IsFaulted);   // faulted, not thrown: awaiting it throws
            Assert.Throws<InvalidOperationException>(() => Fiber.Await(putAsync.AsTask()));
            Assert.Equal(1, q.Count);
            Assert.Equal(1, q.Get());
            Assert.Throws<FiberQueueCompletedException>(() => q.Get());
            Assert.Contains("0 items, 1 unfinished", q.ToString());   // failed puts count no work
        });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TryPut_puts_without_waiting_and_returns_false_on_a_full_queue(string kind) =>
        K.Run(() =>
        {
            var q = Make<int>(kind, maxSize: 2);
            Assert.True(q.TryPut(5));
            Assert.True(q.TryPut(4));
            Assert.True(q.IsFull);
            Assert.False(q.TryPut(3));
            Assert.Equal(2, q.Count);
            Assert.Contains("2/2 items, 2 unfinished", q.ToString());   // the refused item counts no work
            q.Get();
            Assert.True(q.TryPut(3));
            q.Complete();
            Assert.Throws<InvalidOperationException>(() => q.TryPut(2));   // complete and full: the exception, not false
            Assert.Equal(2, q.GetConsumingEnumerable().Count());
        });

    [Fact]
    public void TryPut_hands_the_item_to_a_waiting_getter() =>
        K.Run(() =>
        {
            var q = new FiberQueue<string>(maxSize: 1);
            var getter = Fiber.Spawn(q.Get);
            K.UntilBlocked(getter);
            Assert.True(q.TryPut("x"));
            Assert.True(q.IsEmpty);   // handed over, never stored
            Assert.Equal("x", getter.Join());
        });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Several_fiber_consumers_of_GetConsumingEnumerable_get_every_item_exactly_once_then_end(string kind) =>
        K.Run(() =>
        {
            var q = Make<int>(kind, maxSize: 8);
            var consumers = Enumerable.Range(0, 4).Select(_ => Fiber.Spawn(() =>
            {
                var got = new List<int>();
                foreach (int item in q.GetConsumingEnumerable())
                {
                    got.Add(item);
                    if (item % 7 == 0) Fiber.Yield();   // let the others in
                }
                return got;
            })).ToList();
            for (int i = 0; i < 1000; i++) q.Put(i);
            q.Complete();
            var all = consumers.Select(c => c.Join()).ToList();
            Assert.Equal(Enumerable.Range(0, 1000), all.SelectMany(g => g).Order());
            if (kind == "FiberQueue")
                Assert.All(all, got => Assert.Equal(got.Order(), got));   // each consumer sees its items in put order
            Assert.True(q.IsCompleted);
        });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_plain_thread_produces_and_completes_and_fiber_consumers_get_every_item_once(string kind) =>
        K.Run(() =>
        {
            var q = Make<int>(kind, maxSize: 4);   // small: the thread blocks in Put too
            var firstPut = new TaskCompletionSource();
            var producer = new Thread(() =>
            {
                q.Put(0);
                firstPut.SetResult();
                for (int i = 1; i < 300; i++) q.Put(i);
                q.Complete();
            });
            producer.Start();
            Fiber.Await(firstPut.Task);   // the thread has used the queue: fibers waiting on it are not deadlocked
            var consumers = Enumerable.Range(0, 3).Select(_ => Fiber.Spawn(() => q.GetConsumingEnumerable().ToList())).ToList();
            var all = consumers.SelectMany(c => c.Join()).ToList();
            Fiber.RunBlocking(producer.Join);
            Assert.Equal(Enumerable.Range(0, 300), all.Order());
            Assert.True(q.IsCompleted);
        });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Complete_racing_puts_and_a_cancelled_consumer_loses_and_duplicates_nothing(string kind) =>
        K.Run(() =>
        {
            var q = Make<int>(kind, maxSize: 4);
            var put = new System.Collections.Concurrent.ConcurrentBag<int>();
            var received = new System.Collections.Concurrent.ConcurrentBag<int>();
            var producers = Enumerable.Range(0, 4).Select(p => Fiber.Spawn(() =>
            {
                for (int item = p; ; item += 4)   // until Complete stops it: this item and the rest are not put
                {
                    q.Put(item);
                    put.Add(item);   // only a put that returned counts
                }
            })).ToList();
            var consumers = Enumerable.Range(0, 4).Select(_ => Fiber.Spawn(() =>
            {
                foreach (int item in q.GetConsumingEnumerable()) received.Add(item);
            })).ToList();
            while (received.Count < 300) Fiber.Yield();
            consumers[0].Cancel();
            while (received.Count < 600) Fiber.Yield();
            Fiber.Await(Task.Run(q.Complete));   // from a plain thread, while putters are blocked on the full queue
            foreach (Fiber f in producers)
                Assert.IsType<InvalidOperationException>(Assert.Throws<FiberFailedException>(f.Join).InnerException);
            consumers.Skip(1).ToList().ForEach(f => f.Join());
            Assert.Equal(FiberState.Cancelled, consumers[0].State);
            Assert.True(q.IsCompleted);
            Assert.Equal(put.Order(), received.Order());   // every item put came out once; none of a failed put did
        });

    [Fact]
    public void A_consumer_cancelled_inside_the_foreach_loses_no_item()
    {
        var got = new List<string>();
        K.Run(() =>
        {
            var q = new FiberQueue<string>();
            var consumer = Fiber.Spawn(() =>
            {
                foreach (string item in q.GetConsumingEnumerable()) got.Add(item);
                got.Add("ended");   // never: the cancellation leaves the loop by its exception
            });
            q.Put("a");
            q.Put("b");
            K.UntilBlocked(consumer);   // both taken, waiting in MoveNext for a third
            consumer.Cancel();
            Assert.Equal(FiberState.Cancelled, consumer.State);
            q.Put("c");
            q.Complete();
            Assert.Equal(["c"], q.GetConsumingEnumerable());   // the cancelled wait took nothing
        });
        Assert.Equal(["a", "b"], got);
    }

    [Fact]
    public void A_consumer_handed_an_item_before_its_cancellation_handles_it_and_is_cancelled_at_the_next_MoveNext()
    {
        var trace = new Trace();
        K.Run(() =>
        {
            var q = new FiberLifoQueue<string>();
            var consumer = Fiber.Spawn(() =>
            {
                try
                {
                    foreach (string item in q.GetConsumingEnumerable()) trace.Add($"handled {item}");
                }
                catch (FiberCancelledException) { trace.Add("cancelled"); throw; }
            });
            K.UntilBlocked(consumer);
            q.Put("x");          // handed over: the put wins the race with the cancellation below
            consumer.Cancel();
            Assert.True(q.IsEmpty);
            q.Put("y");
            Assert.Equal("y", q.Get());
        });
        trace.Is("handled x", "cancelled");
    }

    [Fact]
    public void A_timeout_ends_a_foreach_with_no_item_taken() =>
        K.Run(() =>
        {
            var q = new FiberPriorityQueue<int>();
            var got = new List<int>();
            // Nothing is put while the scope is open, so wherever the expiry lands (a MoveNext's entry or its wait) nothing is taken.
            Assert.False(Fiber.IgnoreAfter(K.Ms(5), () =>
            {
                foreach (int item in q.GetConsumingEnumerable()) got.Add(item);
            }));
            Assert.Empty(got);
            Assert.Contains("0 items, 0 unfinished, 0 getting", q.ToString());   // the timed-out wait left no trace
            q.Put(2);
            q.Put(1);
            q.Complete();
            Assert.Equal([1, 2], q.GetConsumingEnumerable());
        });

    [Fact]
    public void A_pending_cancellation_is_thrown_by_the_first_MoveNext_before_it_takes_anything() =>
        K.Run(() =>
        {
            var q = new FiberQueue<int>();
            q.Put(1);
            var consumer = Fiber.Spawn(() =>
            {
                Fiber.Current.Cancel(wait: false);
                foreach (int _ in q.GetConsumingEnumerable()) { }
            });
            consumer.Wait();
            Assert.Equal(FiberState.Cancelled, consumer.State);
            Assert.Equal(1, q.Count);
        });

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task GetAsync_drains_then_faults_after_Complete_and_waiting_async_callers_are_woken(string kind)
    {
        var q = Make<int>(kind, maxSize: 1);
        ValueTask<int> waitingGet = q.GetAsync();
        Assert.False(waitingGet.IsCompleted);
        await q.PutAsync(7);
        Assert.Equal(7, await waitingGet);
        await q.PutAsync(8);
        ValueTask waitingPut = q.PutAsync(9);
        Assert.False(waitingPut.IsCompleted);
        q.Complete();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await waitingPut);
        Assert.Equal(8, await q.GetAsync());
        var e = await Assert.ThrowsAsync<FiberQueueCompletedException>(async () => await q.GetAsync());
        Assert.Contains("complete and empty", e.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await q.PutAsync(10));

        var other = Make<string>(kind);
        ValueTask<string> blocked = other.GetAsync();
        other.Complete();
        await Assert.ThrowsAsync<FiberQueueCompletedException>(async () => await blocked);
    }

    [Fact]
    public async Task A_cancelled_token_wins_over_Complete_on_entry()
    {
        var q = new FiberQueue<int>();
        q.Complete();
        var cancelled = new CancellationToken(canceled: true);
        Assert.True(q.GetAsync(cancelled).AsTask().IsCanceled);
        Assert.True(q.PutAsync(1, cancelled).AsTask().IsCanceled);
        await Assert.ThrowsAsync<FiberQueueCompletedException>(async () => await q.GetAsync());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_None_sentinel_still_stops_a_consumer(string kind)
    {
        var got = new List<int>();
        K.Run(() =>
        {
            var q = Make<int?>(kind);
            var worker = Fiber.Spawn(() =>
            {
                while (q.Get() is int n)
                    got.Add(n);
            });
            for (int i = 0; i < 5; i++)
            {
                K.UntilBlocked(worker);   // each item goes straight to the waiting worker, whatever the kind's order
                q.Put(i);
            }
            K.UntilBlocked(worker);
            q.Put(null);
            worker.Join();
            Assert.True(q.IsEmpty);
            Assert.False(q.IsCompleted);   // a sentinel is an item: the queue takes more
            q.Put(null);
            Assert.Null(q.Get());
        });
        Assert.Equal([0, 1, 2, 3, 4], got);
    }

    [Fact]
    public void One_None_sentinel_per_consumer_stops_them_all_after_every_item() =>
        K.Run(() =>
        {
            var q = new FiberQueue<string?>(maxSize: 3);
            var workers = Enumerable.Range(0, 3).Select(_ => Fiber.Spawn(() =>
            {
                int n = 0;
                while (q.Get() is not null) n++;
                return n;
            })).ToList();
            for (int i = 0; i < 100; i++) q.Put($"item {i}");
            for (int i = 0; i < workers.Count; i++) q.Put(null);
            Assert.Equal(100, workers.Sum(w => w.Join()));
            Assert.True(q.IsEmpty);
        });

    [Fact]
    public void A_fiber_blocked_in_the_foreach_with_no_producer_is_reported_as_deadlocked()
    {
        var e = Assert.Throws<FiberDeadlockException>(() => K.Run(() =>
        {
            foreach (int _ in new FiberQueue<int>().GetConsumingEnumerable()) { }
        }));
        Assert.Contains("'main' is blocked in GetConsumingEnumerable on FiberQueue<Int32>(0 items, 0 unfinished, 1 getting", e.Message);
    }

    [Fact]
    public void Exception_constructors_keep_their_message_and_cause()
    {
        Assert.Contains("complete and empty", new FiberQueueCompletedException().Message);
        Assert.Equal("m", new FiberQueueCompletedException("m").Message);
        var inner = new InvalidDataException();
        var e = new FiberQueueCompletedException("m", inner);
        Assert.Same(inner, e.InnerException);
        Assert.IsAssignableFrom<InvalidOperationException>(e);
    }
}

namespace Thredo.Tests.Queues;

public class FiberQueueTests
{
    [Fact]
    public void Items_come_out_in_the_order_they_were_put() =>
        K.Run(() =>
        {
            var q = new FiberQueue<int>();
            for (int i = 0; i < 5; i++) q.Put(i);
            Assert.Equal([0, 1, 2, 3, 4], Enumerable.Range(0, 5).Select(_ => q.Get()));
        });

    [Fact]
    public void Put_on_a_full_bounded_queue_blocks_until_a_Get_frees_a_slot()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var q = new FiberQueue<int>(maxSize: 2);
            q.Put(1);
            q.Put(2);
            Assert.True(q.IsFull);
            var putter = Fiber.Spawn(() => { trace.Add("putting 3"); q.Put(3); trace.Add("put 3"); });
            Fiber.Yield();
            trace.Add($"{q}");
            trace.Add($"got {q.Get()}");
            trace.Add($"{q}");   // the putter's item moved in at once
            putter.Join();
            trace.Add($"got {q.Get()}, {q.Get()}");
        });
        trace.Is("putting 3",
                 "FiberQueue<Int32>(2/2 items, 2 unfinished, 0 getting, 1 putting, 0 joining)",
                 "got 1",
                 "FiberQueue<Int32>(2/2 items, 3 unfinished, 0 getting, 0 putting, 0 joining)",
                 "put 3",
                 "got 2, 3");
    }

    [Fact]
    public void Blocked_putters_are_served_in_arrival_order()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var q = new FiberQueue<string>(maxSize: 1);
            q.Put("first");
            var fs = new[] { "a", "b", "c" }.Select(n => Fiber.Spawn(() => { q.Put(n); trace.Add($"{n} put"); })).ToList();
            Fiber.Yield();
            for (int i = 0; i < 4; i++)
                trace.Add(q.Get());
            fs.ForEach(f => f.Join());
        });
        trace.Is("first", "a", "b", "c", "a put", "b put", "c put");
    }

    [Fact]
    public void Put_hands_the_item_to_the_longest_waiting_getter()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var q = new FiberQueue<string>();
            var fs = new[] { "a", "b", "c" }.Select(n => Fiber.Spawn(() => trace.Add($"{n} got {q.Get()}"))).ToList();
            Fiber.Yield();
            q.Put("x");
            q.Put("y");
            Assert.True(q.IsEmpty);   // handed over, never stored
            q.Put("z");
            fs.ForEach(f => f.Join());
        });
        trace.Is("a got x", "b got y", "c got z");
    }

    [Fact]
    public void TryGet_takes_an_item_if_there_is_one_and_never_blocks() =>
        K.Run(() =>
        {
            var q = new FiberQueue<string>();
            Assert.False(q.TryGet(out string? none));
            Assert.Null(none);
            q.Put("x");
            Assert.True(q.TryGet(out string? got));
            Assert.Equal("x", got);
            Assert.True(q.IsEmpty);
        });

    [Fact]
    public void TryGet_on_a_full_queue_moves_the_first_blocked_putters_item_in() =>
        K.RunOneKernel(() =>
        {
            var q = new FiberQueue<int>(maxSize: 1);
            q.Put(1);
            var putter = Fiber.Spawn(() => q.Put(2));
            Fiber.Yield();
            Assert.True(q.TryGet(out int got));
            Assert.Equal(1, got);
            Assert.Equal(1, q.Count);
            putter.Join();
            Assert.Equal(2, q.Get());
        });

    [Fact]
    public void Join_waits_until_every_item_put_is_marked_done()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var q = new FiberQueue<int>();
            var worker = Fiber.Spawn(() =>
            {
                for (int i = 0; i < 3; i++)
                {
                    int n = q.Get();
                    Fiber.Yield();
                    trace.Add($"done {n}");
                    q.TaskDone();
                }
            });
            for (int i = 0; i < 3; i++) q.Put(i);
            q.Join();
            trace.Add("joined");
            worker.Join();
        });
        trace.Is("done 0", "done 1", "done 2", "joined");
    }

    [Fact]
    public void Join_returns_at_once_when_nothing_is_unfinished_and_releases_every_joiner()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var q = new FiberQueue<int>();
            q.Join();
            q.Put(1);
            var joiners = new[] { "a", "b" }.Select(n => Fiber.Spawn(() => { q.Join(); trace.Add($"{n} joined"); })).ToList();
            Fiber.Yield();
            trace.Add("got " + q.Get());
            Fiber.Yield();    // taking the item does not finish it
            q.TaskDone();
            joiners.ForEach(f => f.Join());
        });
        trace.Is("got 1", "a joined", "b joined");
    }

    [Fact]
    public void TaskDone_called_more_times_than_items_were_put_throws() =>
        K.Run(() =>
        {
            var q = new FiberQueue<int>();
            Assert.Throws<InvalidOperationException>(q.TaskDone);
            q.Put(1);
            q.Get();
            q.TaskDone();
            Assert.Contains("more times than items were put", Assert.Throws<InvalidOperationException>(q.TaskDone).Message);
        });

    [Fact]
    public void A_cancelled_Get_loses_no_item_the_next_item_goes_to_the_next_getter()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var q = new FiberQueue<string>();
            var a = Fiber.Spawn(() => trace.Add($"a got {q.Get()}"));
            var b = Fiber.Spawn(() => trace.Add($"b got {q.Get()}"));
            Fiber.Yield();
            a.Cancel();
            q.Put("x");
            b.Join();
            q.Put("y");
            trace.Add($"queued {q.Get()}");
        });
        trace.Is("b got x", "queued y");
    }

    [Fact]
    public void A_getter_cancelled_before_it_runs_again_leaves_the_item_it_lost_in_the_queue() =>
        K.Run(() =>
        {
            var q = new FiberQueue<string>();
            var a = Fiber.Spawn(() => q.Get());
            Fiber.Yield();
            a.Cancel(wait: false);   // the interrupt wins the race with the put below
            q.Put("x");
            Assert.Equal(1, q.Count);
            a.Wait();
            Assert.Equal(FiberState.Cancelled, a.State);
            Assert.Equal("x", q.Get());
        });

    [Fact]
    public void A_getter_handed_an_item_before_its_cancellation_keeps_it_and_is_cancelled_at_its_next_blocking_operation()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var q = new FiberQueue<string>();
            var a = Fiber.Spawn(() =>
            {
                trace.Add($"got {q.Get()}");
                try { Fiber.Yield(); }
                catch (FiberCancelledException) { trace.Add("cancelled at the next one"); throw; }
            });
            Fiber.Yield();
            q.Put("x");              // the put wins the race with the cancellation below
            a.Cancel();
            Assert.True(q.IsEmpty);
        });
        trace.Is("got x", "cancelled at the next one");
    }

    [Fact]
    public void A_cancelled_Put_puts_nothing_and_counts_no_unfinished_work() =>
        K.Run(() =>
        {
            var q = new FiberQueue<int>(maxSize: 1);
            q.Put(1);
            var putter = Fiber.Spawn(() => q.Put(2));
            Fiber.Yield();
            putter.Cancel();
            Assert.Equal(1, q.Get());
            Assert.True(q.IsEmpty);
            q.TaskDone();
            q.Join();   // would block forever if the cancelled put counted
            Assert.Equal("FiberQueue<Int32>(0/1 items, 0 unfinished, 0 getting, 0 putting, 0 joining)", q.ToString());
        });

    [Fact]
    public void A_timed_out_Get_takes_nothing() =>
        K.Run(() =>
        {
            var q = new FiberQueue<int>();
            Assert.False(Fiber.IgnoreAfter(K.Ms(5), () => q.Get()));
            q.Put(7);
            Assert.Equal(7, q.Get());
        });

    [Fact]
    public void A_pending_cancellation_is_thrown_by_Get_and_Put_before_they_take_or_put_anything() =>
        K.Run(() =>
        {
            var q = new FiberQueue<int>();
            q.Put(1);
            var getter = Fiber.Spawn(() => { Fiber.Current.Cancel(wait: false); return q.Get(); });
            getter.Wait();
            Assert.Equal(FiberState.Cancelled, getter.State);
            var putter = Fiber.Spawn(() => { Fiber.Current.Cancel(wait: false); q.Put(2); });
            putter.Wait();
            Assert.Equal(FiberState.Cancelled, putter.State);
            Assert.Equal(1, q.Count);
        });

    [Fact]
    public void Count_IsEmpty_and_IsFull_describe_the_stored_items() =>
        K.Run(() =>
        {
            var bounded = new FiberQueue<int>(2);
            Assert.True(bounded.IsEmpty);
            Assert.False(bounded.IsFull);
            bounded.Put(1);
            Assert.Equal((1, false, false), (bounded.Count, bounded.IsEmpty, bounded.IsFull));
            bounded.Put(2);
            Assert.Equal((2, false, true), (bounded.Count, bounded.IsEmpty, bounded.IsFull));
            var unbounded = new FiberQueue<int>();
            for (int i = 0; i < 1000; i++) unbounded.Put(i);
            Assert.Equal((1000, false), (unbounded.Count, unbounded.IsFull));
        });

    [Fact]
    public void A_null_item_is_an_item() =>
        K.Run(() =>
        {
            var q = new FiberQueue<int?>();
            var getter = Fiber.Spawn(q.Get);
            Fiber.Yield();
            q.Put(null);
            Assert.Null(getter.Join());
            q.Put(null);
            Assert.Equal(1, q.Count);
        });

    [Fact]
    public void Arguments_are_checked_with_their_names() =>
        Assert.Equal("maxSize", Assert.Throws<ArgumentOutOfRangeException>(() => new FiberQueue<int>(-1)).ParamName);

    [Fact]
    public void A_fiber_blocked_in_Get_on_an_empty_queue_is_reported_as_deadlocked()
    {
        var e = Assert.Throws<FiberDeadlockException>(() => K.Run(() => new FiberQueue<int>().Get()));
        Assert.Contains("'main' is blocked in Get on FiberQueue<Int32>(0 items, 0 unfinished, 1 getting, 0 putting, 0 joining)", e.Message);
    }

    [Fact]
    public void Fibers_blocked_in_Put_and_Join_are_reported_as_deadlocked()
    {
        var e = Assert.Throws<FiberDeadlockException>(() => K.Run(() =>
        {
            var q = new FiberQueue<int>(1);
            q.Put(1);
            Fiber.Spawn(() => q.Put(2), "putter");
            q.Join();
        }));
        Assert.Contains("'putter' is blocked in Put on FiberQueue<Int32>(1/1 items", e.Message);
        Assert.Contains("'main' is blocked in Join on FiberQueue<Int32>", e.Message);
    }
}

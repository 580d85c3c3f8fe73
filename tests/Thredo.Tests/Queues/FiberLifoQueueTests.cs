namespace Thredo.Tests.Queues;

public class FiberLifoQueueTests
{
    [Fact]
    public void Get_returns_the_most_recently_put_item() =>
        K.Run(() =>
        {
            var q = new FiberLifoQueue<int>();
            for (int i = 0; i < 5; i++) q.Put(i);
            Assert.Equal([4, 3, 2, 1, 0], Enumerable.Range(0, 5).Select(_ => q.Get()));
        });

    [Fact]
    public void Put_on_a_full_bounded_queue_blocks_and_the_putters_item_is_next_out()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var q = new FiberLifoQueue<int>(maxSize: 2);
            q.Put(1);
            q.Put(2);
            Assert.True(q.IsFull);
            var putter = Fiber.Spawn(() => { q.Put(3); trace.Add("put 3"); });
            Fiber.Yield();
            trace.Add($"got {q.Get()}");
            putter.Join();
            trace.Add($"got {q.Get()}");
            trace.Add($"got {q.Get()}");
        });
        trace.Is("got 2", "put 3", "got 3", "got 1");
    }

    [Fact]
    public void Getters_are_served_in_arrival_order_even_though_items_are_not()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var q = new FiberLifoQueue<string>();
            var fs = new[] { "a", "b" }.Select(n => Fiber.Spawn(() => trace.Add($"{n} got {q.Get()}"))).ToList();
            Fiber.Yield();
            q.Put("x");
            q.Put("y");
            fs.ForEach(f => f.Join());
        });
        trace.Is("a got x", "b got y");
    }

    [Fact]
    public void A_cancelled_Put_puts_nothing() =>
        K.Run(() =>
        {
            var q = new FiberLifoQueue<int>(maxSize: 1);
            q.Put(1);
            var putter = Fiber.Spawn(() => q.Put(2));
            Fiber.Yield();
            putter.Cancel();
            Assert.Equal(1, q.Get());
            Assert.True(q.IsEmpty);
            q.TaskDone();
            q.Join();
        });

    [Fact]
    public void TryGet_Count_IsEmpty_and_IsFull_work_as_for_FiberQueue() =>
        K.Run(() =>
        {
            var q = new FiberLifoQueue<int>(maxSize: 2);
            Assert.False(q.TryGet(out _));
            Assert.True(q.IsEmpty);
            q.Put(1);
            q.Put(2);
            Assert.Equal((2, true), (q.Count, q.IsFull));
            Assert.True(q.TryGet(out int top));
            Assert.Equal(2, top);
        });

    [Fact]
    public void Arguments_are_checked_with_their_names() =>
        Assert.Equal("maxSize", Assert.Throws<ArgumentOutOfRangeException>(() => new FiberLifoQueue<int>(-1)).ParamName);

    [Fact]
    public void A_fiber_blocked_in_Get_is_reported_with_the_queue_in_a_deadlock()
    {
        var e = Assert.Throws<FiberDeadlockException>(() => K.Run(() => new FiberLifoQueue<int>().Get()));
        Assert.Contains("'main' is blocked in Get on FiberLifoQueue<Int32>(0 items", e.Message);
    }
}

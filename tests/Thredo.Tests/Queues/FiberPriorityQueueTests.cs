namespace Thredo.Tests.Queues;

public class FiberPriorityQueueTests
{
    private sealed record Job(int Priority, string Tag);

    private sealed class ByPriority : IComparer<Job>
    {
        public int Compare(Job? x, Job? y) => x!.Priority.CompareTo(y!.Priority);
    }

    [Fact]
    public void Get_returns_the_smallest_item_first() =>
        K.Run(() =>
        {
            var q = new FiberPriorityQueue<int>();
            foreach (int n in new[] { 5, 1, 4, 2, 3 }) q.Put(n);
            Assert.Equal([1, 2, 3, 4, 5], Enumerable.Range(0, 5).Select(_ => q.Get()));
        });

    [Fact]
    public void A_comparer_given_at_construction_decides_the_order() =>
        K.Run(() =>
        {
            var q = new FiberPriorityQueue<string>(Comparer<string>.Create((a, b) => b.Length.CompareTo(a.Length)));
            foreach (string s in new[] { "bb", "a", "dddd", "ccc" }) q.Put(s);
            Assert.Equal(["dddd", "ccc", "bb", "a"], Enumerable.Range(0, 4).Select(_ => q.Get()));
        });

    [Fact]
    public void Equal_items_come_out_in_the_order_they_were_put() =>
        K.Run(() =>
        {
            var q = new FiberPriorityQueue<Job>(maxSize: 0, comparer: new ByPriority());
            string[] tags = ["a", "b", "c", "d", "e", "f", "g", "h"];
            foreach (var (tag, i) in tags.Select((t, i) => (t, i)))
                q.Put(new Job(i % 2, tag));
            Assert.Equal(["a", "c", "e", "g", "b", "d", "f", "h"], tags.Select(_ => q.Get().Tag));
        });

    [Fact]
    public void An_item_put_while_a_getter_waits_goes_to_that_getter_whatever_its_priority()
    {
        var trace = new Trace();
        K.RunOneKernel(() =>
        {
            var q = new FiberPriorityQueue<int>();
            var getter = Fiber.Spawn(() => trace.Add($"waiting getter got {q.Get()}"));
            Fiber.Yield();
            q.Put(9);
            q.Put(1);
            getter.Join();
            trace.Add($"then {q.Get()}");
        });
        trace.Is("waiting getter got 9", "then 1");
    }

    [Fact]
    public void A_bounded_priority_queue_blocks_Put_when_full_and_moves_the_putters_item_in_on_Get() =>
        K.Run(() =>
        {
            var q = new FiberPriorityQueue<int>(maxSize: 2);
            q.Put(5);
            q.Put(3);
            Assert.True(q.IsFull);
            var putter = Fiber.Spawn(() => q.Put(1));
            Fiber.Yield();
            Assert.Equal(3, q.Get());
            putter.Join();
            Assert.Equal([1, 5], new[] { q.Get(), q.Get() });
        });

    [Fact]
    public void A_cancelled_Get_loses_no_item() =>
        K.Run(() =>
        {
            var q = new FiberPriorityQueue<int>();
            var getter = Fiber.Spawn(q.Get);
            Fiber.Yield();
            getter.Cancel();
            q.Put(4);
            Assert.Equal(1, q.Count);
            Assert.True(q.TryGet(out int got));
            Assert.Equal(4, got);
        });

    [Fact]
    public void TaskDone_and_Join_track_unfinished_work() =>
        K.Run(() =>
        {
            var q = new FiberPriorityQueue<int>();
            q.Put(2);
            q.Put(1);
            var worker = Fiber.Spawn(() => { q.Get(); q.TaskDone(); q.Get(); q.TaskDone(); });
            q.Join();
            Assert.Equal(FiberState.Completed, worker.State);
            Assert.Throws<InvalidOperationException>(q.TaskDone);
        });

    [Fact]
    public void Arguments_are_checked_with_their_names() =>
        Assert.Equal("maxSize", Assert.Throws<ArgumentOutOfRangeException>(() => new FiberPriorityQueue<int>(-1)).ParamName);

    [Fact]
    public void A_fiber_blocked_in_Get_is_reported_with_the_queue_in_a_deadlock()
    {
        var e = Assert.Throws<FiberDeadlockException>(() => K.Run(() => new FiberPriorityQueue<int>().Get()));
        Assert.Contains("'main' is blocked in Get on FiberPriorityQueue<Int32>(0 items", e.Message);
    }
}

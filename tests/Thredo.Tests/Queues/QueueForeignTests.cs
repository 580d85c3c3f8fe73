namespace Thredo.Tests.Queues;

/// <summary>Queues between fibers and the rest of an application: plain threads and async code.</summary>
public class QueueForeignTests
{
    [Fact]
    public void A_plain_thread_puts_and_a_fiber_gets_in_order() =>
        K.Run(() =>
        {
            var q = new FiberQueue<int>(maxSize: 2);   // small: the thread blocks in Put too
            var producer = new Thread(() => { for (int i = 0; i < 50; i++) q.Put(i); });
            producer.Start();
            Assert.Equal(Enumerable.Range(0, 50), Enumerable.Range(0, 50).Select(_ => q.Get()));
            Fiber.RunBlocking(producer.Join);
        });

    [Fact]
    public void A_fiber_puts_and_a_plain_thread_gets_in_order() =>
        K.Run(() =>
        {
            var q = new FiberQueue<int>(maxSize: 2);
            var got = new List<int>();
            var consumer = new Thread(() => { for (int i = 0; i < 50; i++) got.Add(q.Get()); });
            consumer.Start();
            for (int i = 0; i < 50; i++) q.Put(i);
            Fiber.RunBlocking(consumer.Join);
            Assert.Equal(Enumerable.Range(0, 50), got);
        });

    [Fact]
    public void A_plain_thread_waits_in_Join_until_fibers_mark_the_work_done() =>
        K.Run(() =>
        {
            var q = new FiberLifoQueue<int>();
            for (int i = 0; i < 3; i++) q.Put(i);
            var joined = Task.Run(() => { q.Join(); return q.Count; });
            for (int i = 0; i < 3; i++)
            {
                q.Get();
                Fiber.Sleep(K.Ms(2));
                q.TaskDone();
            }
            Assert.Equal(0, Fiber.Await(joined));
        });

    [Fact]
    public async Task Async_code_puts_and_gets_with_fibers()
    {
        var toFibers = new FiberQueue<int>();
        var fromFibers = new FiberQueue<int>(maxSize: 1);
        var run = Task.Run(() => K.Run(() =>
        {
            for (int i = 0; i < 20; i++) fromFibers.Put(toFibers.Get() * 10);
        }));
        var results = new List<int>();
        for (int i = 0; i < 20; i++)
        {
            await toFibers.PutAsync(i);
            results.Add(await fromFibers.GetAsync());
        }
        await run;
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * 10), results);
    }

    [Fact]
    public async Task GetAsync_cancelled_by_its_token_loses_no_item()
    {
        var q = new FiberQueue<string>();
        using var cts = new CancellationTokenSource();
        ValueTask<string> first = q.GetAsync(cts.Token);
        ValueTask<string> second = q.GetAsync();
        Assert.Contains("2 getting", q.ToString());
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await first);
        await q.PutAsync("x");
        Assert.Equal("x", await second);
        await q.PutAsync("y");
        Assert.Equal("y", await q.GetAsync(CancellationToken.None));
        Assert.Contains("0 getting", q.ToString());
    }

    [Fact]
    public async Task PutAsync_cancelled_by_its_token_puts_nothing()
    {
        var q = new FiberQueue<int>(maxSize: 1);
        await q.PutAsync(1);
        using var cts = new CancellationTokenSource();
        ValueTask blocked = q.PutAsync(2, cts.Token);
        Assert.False(blocked.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await blocked);
        Assert.Equal(1, await q.GetAsync());
        Assert.True(q.IsEmpty);
        Assert.False(q.TryGet(out _));
    }

    [Fact]
    public async Task PutAsync_waits_for_room_and_completes_when_a_fiber_gets()
    {
        var q = new FiberQueue<int>(maxSize: 1);
        await q.PutAsync(1);
        ValueTask blocked = q.PutAsync(2);
        Assert.False(blocked.IsCompleted);
        int[] got = await Task.Run(() => K.Run(() => new[] { q.Get(), q.Get() }));
        await blocked;
        Assert.Equal([1, 2], got);
    }

    [Fact]
    public async Task Async_calls_with_an_already_cancelled_token_take_and_put_nothing()
    {
        var q = new FiberQueue<int>();
        await q.PutAsync(1);
        var cancelled = new CancellationToken(canceled: true);
        Assert.True(q.GetAsync(cancelled).AsTask().IsCanceled);
        Assert.True(q.PutAsync(2, cancelled).AsTask().IsCanceled);
        Assert.Equal(1, q.Count);
        Assert.Equal(1, await q.GetAsync());
    }

    [Fact]
    public async Task A_fiber_blocked_in_Get_is_served_by_PutAsync()
    {
        var q = new FiberPriorityQueue<int>();
        var run = Task.Run(() => K.Run(() => q.Get() + q.Get()));
        await q.PutAsync(20);
        await q.PutAsync(22);
        Assert.Equal(42, await run);
    }

    [Fact]
    public async Task A_fiber_waiting_on_a_queue_async_code_has_used_is_not_deadlocked()
    {
        var q = new FiberQueue<int>();
        await q.PutAsync(1);   // async code has used the queue: it may put again later
        var run = Task.Run(() => K.Run(() => q.Get() + q.Get()));
        await Task.Delay(300);  // well past the deadlock detector's grace period
        await q.PutAsync(2);
        Assert.Equal(3, await run);
    }
}

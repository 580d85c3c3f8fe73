using System.Collections.Concurrent;
using System.Net;
using Thredo.IO;
using Thredo.Kernel;

namespace Thredo.Tests.Hosting;

public class FiberHostTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static FiberHost Start(ConcurrentQueue<string>? reports = null, FiberOptions? options = null) =>
        FiberHost.Start(options ?? K.Options, reports is null ? null : (_, m) => reports.Enqueue(m));

    [Fact]
    public void Spawn_from_a_plain_thread_runs_a_fiber_that_the_thread_can_join()
    {
        using FiberHost host = Start();
        Fiber<int> f = host.Spawn(() => { Fiber.Sleep(K.Ms(5)); return Fiber.IsOnFiber ? 42 : -1; }, "worker");
        Assert.Equal(42, f.Join());
        Assert.Equal("worker", f.Name);
        Assert.Equal(FiberState.Completed, f.State);
    }

    [Fact]
    public async Task RunAsync_completes_with_the_result_and_faults_with_the_fibers_own_exception()
    {
        await using FiberHost host = Start();
        Assert.Equal(7, await host.RunAsync(() => { Fiber.Sleep(K.Ms(1)); return 7; }));
        var e = await Assert.ThrowsAsync<FormatException>(() => host.RunAsync(() => throw new FormatException("bad")));
        Assert.Equal("bad", e.Message);
        await host.RunAsync(() => Fiber.Yield());
    }

    [Fact]
    public async Task The_token_cancels_the_fiber_at_its_next_blocking_operation_after_its_cleanup()
    {
        await using FiberHost host = Start();
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool cleanedUp = false;
        Task run = host.RunAsync(() =>
        {
            try
            {
                started.SetResult();
                Fiber.Sleep(Timeout.InfiniteTimeSpan);
            }
            finally
            {
                cleanedUp = true;
            }
        }, cts.Token);
        await started.Task;
        cts.Cancel();
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(run.IsCanceled);
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.True(cleanedUp);
    }

    [Fact]
    public async Task An_already_cancelled_token_runs_nothing()
    {
        await using FiberHost host = Start();
        bool ran = false;
        Task run = host.RunAsync(() => ran = true, new CancellationToken(canceled: true));
        Assert.True(run.IsCanceled);
        await host.RunAsync(() => Fiber.Sleep(K.Ms(1)));
        Assert.False(ran);
    }

    [Fact]
    public async Task Plain_threads_and_async_code_feed_a_fiber_through_queues()
    {
        await using FiberHost host = Start();
        var queue = new FiberQueue<int>(4);
        Task<int> consumer = host.RunAsync(() => queue.GetConsumingEnumerable().Sum());
        var producer = new Thread(() => { for (int i = 1; i <= 100; i++) queue.Put(i); });
        producer.Start();
        for (int i = 101; i <= 200; i++)
            await queue.PutAsync(i);
        producer.Join();
        queue.Complete();
        Assert.Equal(200 * 201 / 2, await consumer);
    }

    [Fact]
    public async Task A_fiber_of_the_host_can_spawn_join_and_use_groups()
    {
        await using FiberHost host = Start();
        int sum = await host.RunAsync(() =>
        {
            using var g = new FiberGroup();
            var parts = Enumerable.Range(1, 10).Select(i => g.Spawn(() => { Fiber.Sleep(K.Ms(i)); return i; })).ToList();
            g.Join();
            return parts.Sum(p => p.Result);
        });
        Assert.Equal(55, sum);
    }

    [Fact]
    public async Task Stop_cancels_every_fiber_runs_their_cleanup_and_then_refuses_work()
    {
        FiberHost host = Start();
        int cleaned = 0;
        var fibers = Enumerable.Range(0, 20).Select(i => host.Spawn(() =>
        {
            try { Fiber.Sleep(Timeout.InfiniteTimeSpan); }
            finally { Interlocked.Increment(ref cleaned); }
        }, $"sleeper-{i}")).ToList();
        Task<int> pending = host.RunAsync(() => { new FiberEvent().Wait(); return 1; });
        while (host.Snapshot().Count(f => f.State == FiberState.Blocked) < 21)
            Thread.Sleep(1);

        await host.StopAsync(Long);
        Assert.Equal(20, cleaned);
        Assert.All(fibers, f => Assert.Equal(FiberState.Cancelled, f.State));
        Assert.True(pending.IsCanceled);
        Assert.True(host.IsStopping);
        Assert.Empty(host.Snapshot());
        var e = Assert.Throws<ObjectDisposedException>(() => host.Spawn(() => { }));
        Assert.Contains("FiberHost", e.ObjectName);
        Assert.Throws<ObjectDisposedException>(() => { _ = host.RunAsync(() => { }); });
        await host.StopAsync(Long);   // twice: harmless
        host.Dispose();
    }

    [Fact]
    public void Bad_arguments_are_refused_with_their_names()
    {
        using FiberHost host = Start();
        Assert.Equal("body", Assert.Throws<ArgumentNullException>(() => host.Spawn(null!)).ParamName);
        Assert.Equal("body", Assert.Throws<ArgumentNullException>(() => host.Spawn<int>(null!)).ParamName);
        Assert.Equal("body", Assert.Throws<ArgumentNullException>(() => { _ = host.RunAsync(null!); }).ParamName);
        Assert.Equal("body", Assert.Throws<ArgumentNullException>(() => { _ = host.RunAsync<int>(null!); }).ParamName);
        Assert.Equal("grace", Assert.Throws<ArgumentOutOfRangeException>(() => { _ = host.StopAsync(TimeSpan.FromSeconds(-1)); }).ParamName);
        Assert.Equal("Schedulers", Assert.Throws<ArgumentOutOfRangeException>(() => FiberHost.Start(new FiberOptions { Schedulers = 0 })).ParamName);
    }

    [Fact]
    public async Task A_fiber_that_never_blocks_is_abandoned_by_name_after_the_grace_period()
    {
        var reports = new ConcurrentQueue<string>();
        FiberHost host = Start(reports, K.Options with { ForeignBlockHandoff = Timeout.InfiniteTimeSpan, LongBlockWarning = null });
        var spinning = new ManualResetEventSlim();
        bool release = false;
        Fiber spinner = host.Spawn(() => { spinning.Set(); while (!Volatile.Read(ref release)) Thread.SpinWait(100); }, "spinner");
        Assert.True(spinning.Wait(Long));

        await host.StopAsync(TimeSpan.FromMilliseconds(50));
        string report = Assert.Single(reports);
        Assert.Contains("1 fiber(s) still running", report);
        Assert.Contains("spinner", report);
        Assert.False(spinner.IsCompleted);
        Volatile.Write(ref release, true);   // let the thread go: the test process must not spin forever
        spinner.Wait();
        Assert.Equal(FiberState.Completed, spinner.State);
    }

    [Fact]
    public async Task Spawn_from_many_threads_at_once_while_stopping_admits_or_refuses_cleanly()
    {
        FiberHost host = Start();
        int ran = 0, admitted = 0, refused = 0;
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < 500; i++)
            {
                try { host.Spawn(() => Interlocked.Increment(ref ran)); Interlocked.Increment(ref admitted); }
                catch (ObjectDisposedException) { Interlocked.Increment(ref refused); }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        Thread.Sleep(1);
        await host.StopAsync(Long);
        threads.ForEach(t => t.Join());
        Assert.Equal(2000, admitted + refused);
        Assert.Equal(admitted, Volatile.Read(ref ran));   // every admitted fiber ran before the stop completed
        Assert.Empty(host.Snapshot());
    }

    [Fact]
    public async Task Snapshot_says_what_each_fiber_waits_on_in_words()
    {
        await using FiberHost host = Start(options: K.Options with { CaptureStacks = true });
        var ev = new FiberEvent();
        var queue = new FiberQueue<int>();
        using FiberSocket listener = FiberSocket.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        Fiber waiter = host.Spawn(() => ev.Wait(), "event-waiter");
        Fiber sleeper = host.Spawn(() => Fiber.Sleep(TimeSpan.FromHours(1)), "sleeper");
        Fiber getter = host.Spawn(() => queue.Get(), "getter");
        Fiber joiner = host.Spawn(() => waiter.Join(), "joiner");
        Fiber acceptor = host.Spawn(() => listener.Accept(), "acceptor");
        Fiber[] all = [waiter, sleeper, getter, joiner, acceptor];
        IReadOnlyList<FiberInfo> snap;
        do
        {
            Thread.Sleep(1);
            snap = host.Snapshot();
        }
        while (snap.Count(f => f.State == FiberState.Blocked) < all.Length);

        FiberInfo Info(Fiber f) => snap.Single(i => i.Id == f.Id);
        Assert.StartsWith("Wait on FiberEvent(clear", Info(waiter).WaitingOn);
        Assert.StartsWith("Sleep until ", Info(sleeper).WaitingOn);
        Assert.StartsWith("Get on FiberQueue<Int32>", Info(getter).WaitingOn);
        Assert.Equal($"Join of fiber {waiter.Id} 'event-waiter'", Info(joiner).WaitingOn);
        Assert.Contains($"127.0.0.1:{port}", Info(acceptor).WaitingOn);
        Assert.All(all, f => Assert.Equal(f.Name, Info(f).Name));
        Assert.All(all, f => Assert.True(Info(f).WaitingFor >= TimeSpan.Zero));
        Assert.Contains(nameof(Snapshot_says_what_each_fiber_waits_on_in_words), Info(waiter).StackTrace);

        string table = FiberInfo.FormatTable(snap);
        string[] lines = table.Split(Environment.NewLine);
        Assert.StartsWith("ID", lines[0].TrimStart());
        Assert.Contains(lines, l => l.Contains("sleeper") && l.Contains("Blocked") && l.Contains("Sleep until"));
        int onColumn = lines[0].IndexOf("ON", StringComparison.Ordinal);
        Assert.All(lines.Where(l => l.Contains("Blocked")), l => Assert.NotEqual(' ', l[onColumn]));
        ev.Set();
        queue.Put(1);
    }

    [Fact]
    public void Fiber_Snapshot_shows_the_callers_runtime_including_itself()
    {
        var snap = K.Run(() =>
        {
            Fiber child = Fiber.Spawn(() => Fiber.Sleep(TimeSpan.FromHours(1)), "child");
            K.UntilBlocked(child);
            var s = Fiber.Snapshot();
            child.Cancel();
            return s;
        });
        Assert.Contains(snap, f => f.Name == "main" && f.State == FiberState.Running && f.WaitingOn is null);
        Assert.Contains(snap, f => f.Name == "child" && f.WaitingOn!.StartsWith("Sleep until", StringComparison.Ordinal));
        Assert.Throws<InvalidOperationException>(() => Fiber.Snapshot());
    }

    [Fact]
    public async Task A_host_with_two_kernels_runs_fibers_on_both_and_stops()
    {
        await using FiberHost host = Start(options: K.Options with { Schedulers = 2 });
        var tasks = Enumerable.Range(0, 200).Select(i => host.RunAsync(() => { Fiber.Sleep(K.Ms(1)); return i; })).ToList();
        int[] results = await Task.WhenAll(tasks);
        Assert.Equal(Enumerable.Range(0, 200), results);
    }

    [Fact]
    public async Task A_failed_spawned_fiber_nobody_joins_is_reported_but_a_RunAsync_failure_is_not()
    {
        var reports = new ConcurrentQueue<string>();
        await using (FiberHost host = Start(reports))
        {
            await Assert.ThrowsAsync<InvalidTimeZoneException>(() => host.RunAsync(() => throw new InvalidTimeZoneException()));
            host.Spawn(() => throw new InsufficientExecutionStackException(), "lonely");   // ends before the stop completes
        }
        string report = Assert.Single(reports);
        Assert.Contains("'lonely' failed and nobody is joining it", report);
    }
}

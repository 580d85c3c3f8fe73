using System.Collections.Concurrent;
using Thredo.Tests.IO;

namespace Thredo.Tests.Kernel;

/// <summary>
/// A handed-off fiber that waits in Monitor.Enter is known to (the runtime's contention events): the
/// snapshot and the long-stay report name the lock's holder, and a cycle of such waits, which no
/// hand-off resolves, is reported as a Monitor deadlock naming every fiber in it.
/// </summary>
public class ForeignBlockReportTests
{
    /// <summary>Generous: the events arrive within tens of milliseconds, but a loaded machine may be slow.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>Runs <paramref name="main"/> with long stays reported after 200 ms into <paramref name="reports"/>; a hang fails the test.</summary>
    private static void Run(ConcurrentQueue<string> reports, Action main) =>
        IOTestSupport.BoundedThread(() => Fiber.Run(() =>
        {
            Fiber.Current.Runtime.Sink = (_, m) => reports.Enqueue(m);
            main();
        }, K.Options with { LongBlockWarning = TimeSpan.FromMilliseconds(200) }));

    /// <summary>Polls (between Fiber.Sleeps) until <paramref name="seen"/> holds or patience runs out; returns whether it held.</summary>
    private static bool FiberWaitFor(Func<bool> seen)
    {
        var patience = System.Diagnostics.Stopwatch.StartNew();
        while (!seen())
        {
            if (patience.Elapsed > Patience)
                return false;
            Fiber.Sleep(K.Ms(10));
        }
        return true;
    }

    private static FiberInfo Info(Fiber f) => Fiber.Snapshot().Single(i => i.Id == f.Id);

    [Fact]
    public void Two_fibers_taking_two_CSharp_locks_in_opposite_orders_are_reported_as_a_Monitor_deadlock()
    {
        var reports = new ConcurrentQueue<string>();
        object a = new(), b = new();
        var threads = new Thread[2];
        int interrupted = 0;
        string? deadlock = null;
        Fiber? x = null, y = null;
        Run(reports, () =>
        {
            Fiber Take(object first, object second, int i) => Fiber.Spawn(() =>
            {
                threads[i] = Thread.CurrentThread;
                lock (first)
                {
                    Fiber.Sleep(K.Ms(20));   // both hold their first lock
                    try
                    {
                        lock (second) { }
                    }
                    catch (ThreadInterruptedException)
                    {
                        Interlocked.Increment(ref interrupted);   // the test's way out: its first lock is released
                    }
                }
            }, $"takes lock {i} first");
            x = Take(a, b, 0);
            y = Take(b, a, 1);
            // A plain thread waits for the report: both fibers are asleep for good, and main may be too.
            var breaker = new Thread(() =>
            {
                var patience = System.Diagnostics.Stopwatch.StartNew();
                while (deadlock is null && patience.Elapsed < Patience)
                {
                    Thread.Sleep(10);
                    deadlock = reports.FirstOrDefault(r => r.Contains("Monitor deadlock", StringComparison.Ordinal));
                }
                threads[0].Interrupt();   // reported or not, the test ends
            });
            breaker.Start();
            x.Join();
            y.Join();
            Fiber.RunBlocking(breaker.Join);
        });
        Assert.Equal(1, interrupted);
        Assert.NotNull(deadlock);
        Assert.Contains($"fiber {x!.Id} 'takes lock 0 first'", deadlock, StringComparison.Ordinal);
        Assert.Contains($"fiber {y!.Id} 'takes lock 1 first'", deadlock, StringComparison.Ordinal);
        Assert.Contains("waits in Monitor.Enter for a lock held by", deadlock, StringComparison.Ordinal);
        Assert.Single(reports, r => r.Contains("Monitor deadlock", StringComparison.Ordinal));   // once, not once per fiber
    }

    [Fact]
    public void A_fiber_waiting_for_a_CSharp_lock_shows_in_the_snapshot_with_the_locks_holder()
    {
        var reports = new ConcurrentQueue<string>();
        var gate = new object();
        bool release = false;
        string? waiting = null, holding = null;
        Fiber? holder = null;
        Run(reports, () =>
        {
            holder = Fiber.Spawn(() =>
            {
                lock (gate)
                {
                    while (!Volatile.Read(ref release))
                        Thread.Sleep(20);   // asleep outside Thredo, the lock held
                }
            }, "holder");
            Fiber.Sleep(K.Ms(20));   // the holder has the lock
            var waiter = Fiber.Spawn(() => { lock (gate) { } }, "waiter");
            Assert.True(FiberWaitFor(() => Info(waiter).WaitingOn?.StartsWith("Monitor.Enter", StringComparison.Ordinal) == true),
                $"the waiter's snapshot never said Monitor.Enter: {Info(waiter).WaitingOn}");
            waiting = Info(waiter).WaitingOn;
            holding = Info(holder).WaitingOn;
            Assert.True(FiberWaitFor(() => reports.Any(r => r.Contains("'waiter' waits in Monitor.Enter", StringComparison.Ordinal))),
                "no report of the waiter in Monitor.Enter: " + string.Join(" | ", reports));
            Volatile.Write(ref release, true);
            waiter.Join();
        });
        Assert.Equal($"Monitor.Enter (lock held by fiber {holder!.Id} 'holder')", waiting);
        Assert.DoesNotContain("Monitor.Enter", holding, StringComparison.Ordinal);
        Assert.Contains(reports, r => r.Contains($"'waiter' waits in Monitor.Enter for a lock held by fiber {holder.Id} 'holder'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_fiber_asleep_in_Thread_Sleep_is_not_said_to_wait_in_Monitor_Enter()
    {
        var reports = new ConcurrentQueue<string>();
        bool release = false;
        string? waiting = null;
        Run(reports, () =>
        {
            var sleeper = Fiber.Spawn(() =>
            {
                while (!Volatile.Read(ref release))
                    Thread.Sleep(20);
            }, "sleeper");
            Assert.True(FiberWaitFor(() => Info(sleeper).WaitingOn?.StartsWith("foreign code (handed off", StringComparison.Ordinal) == true),
                $"the sleeper was never handed off: {Info(sleeper).WaitingOn}");
            waiting = Info(sleeper).WaitingOn;
            Assert.True(FiberWaitFor(() => reports.Any(r => r.Contains("'sleeper' has been asleep outside Thredo", StringComparison.Ordinal))),
                "no long-stay report of the sleeper: " + string.Join(" | ", reports));
            Volatile.Write(ref release, true);
            sleeper.Join();
        });
        Assert.StartsWith("foreign code (handed off", waiting, StringComparison.Ordinal);
        string report = Assert.Single(reports, r => r.Contains("'sleeper' has been asleep outside Thredo", StringComparison.Ordinal));
        Assert.DoesNotContain("Monitor.Enter", report, StringComparison.Ordinal);
        Assert.DoesNotContain(reports, r => r.Contains("Monitor.Enter", StringComparison.Ordinal));
    }
}

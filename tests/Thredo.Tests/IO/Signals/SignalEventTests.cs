using System.Runtime.InteropServices;
using Thredo.Fibers;
using Thredo.IO;

namespace Thredo.Tests.IO.Signals;

// Every test sends real signals to this test process, so they all live in this one class (xunit runs a
// class's tests one at a time), and each registers its SignalEvent before sending.
public class SignalEventTests
{
    private static readonly PosixSignal SIGUSR1 = (PosixSignal)Posix.SIGUSR1;
    private static readonly PosixSignal SIGUSR2 = (PosixSignal)Posix.SIGUSR2;

    private static void Send(int signal) => Assert.Equal(0, Posix.kill(Environment.ProcessId, signal));

    [Fact]
    public void SIGUSR1_sent_to_this_process_wakes_a_waiting_fiber() => IOTestSupport.BoundedOneKernel(() =>
    {
        var trace = new Trace();
        using var signals = new SignalEvent(SIGUSR1);
        Fiber waiter = Fiber.Spawn(() =>
        {
            trace.Add("waiting");
            trace.Add("received " + (int)signals.Receive());
        });
        Fiber.Yield();
        Send(Posix.SIGUSR1);
        trace.Add("sent");
        waiter.Join();
        trace.Is("waiting", "sent", "received 10");
        Assert.Equal(1, signals.Received);
        Assert.Equal(0, signals.Pending);
    });

    [Fact]
    public void A_fiber_waiting_only_for_a_signal_is_not_declared_deadlocked() => IOTestSupport.Bounded(() =>
    {
        using var signals = new SignalEvent(SIGUSR2);
        var sender = new Thread(() => { Thread.Sleep(200); Send(Posix.SIGUSR2); });
        sender.Start();
        signals.Wait();   // the only fiber, waiting on the outside world: no FiberDeadlockException
        sender.Join();
    });

    [Fact]
    public void Wait_works_from_a_plain_thread() => IOTestSupport.BoundedThread(() =>
    {
        using var signals = new SignalEvent(SIGUSR1, SIGUSR2);
        Task<PosixSignal> received = Task.Factory.StartNew(signals.Receive, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Send(Posix.SIGUSR2);
        Assert.Equal(SIGUSR2, received.Result);
    });

    [Fact]
    public void A_signal_arriving_with_no_waiter_stays_pending_for_the_next_wait() => IOTestSupport.Bounded(() =>
    {
        using var signals = new SignalEvent(SIGUSR1);
        Send(Posix.SIGUSR1);
        Assert.Equal(SIGUSR1, signals.Receive());
        Assert.False(signals.TryReceive(out _));
    });

    [Fact]
    public void A_cancelled_waiter_consumes_nothing() => IOTestSupport.Bounded(() =>
    {
        using var signals = new SignalEvent(SIGUSR1);
        Fiber waiter = Fiber.Spawn(signals.Wait);
        Fiber.Yield();
        waiter.Cancel();
        Assert.Equal(FiberState.Cancelled, waiter.State);
        Send(Posix.SIGUSR1);
        while (signals.Pending == 0)   // the handler runs on a runtime thread
            Fiber.Sleep(TimeSpan.FromMilliseconds(1));
        Assert.True(signals.TryReceive(out PosixSignal s));
        Assert.Equal(SIGUSR1, s);
    });

    [Fact]
    public void Disposing_ends_a_wait_with_ObjectDisposedException() => IOTestSupport.Bounded(() =>
    {
        var signals = new SignalEvent(SIGUSR1);
        Fiber waiter = Fiber.Spawn(signals.Wait);
        Fiber.Yield();
        signals.Dispose();
        waiter.Wait();
        Assert.IsType<ObjectDisposedException>(waiter.Exception);
        Assert.Throws<ObjectDisposedException>(signals.Wait);
        signals.Dispose();   // idempotent
    });

    [Fact]
    public void ReceiveAsync_completes_with_the_signal() => IOTestSupport.BoundedThread(() =>
    {
        using var signals = new SignalEvent(SIGUSR1);
        Task<PosixSignal> received = signals.ReceiveAsync();
        Send(Posix.SIGUSR1);
        Assert.Equal(SIGUSR1, received.GetAwaiter().GetResult());
    });

    /// <summary>Runs <paramref name="body"/> with SIGUSR2 ignored in this process, as a parent shell can leave a signal.</summary>
    private static void WithSigusr2Ignored(Action body)
    {
        nint previous = Posix.signal(Posix.SIGUSR2, Posix.SIG_IGN);
        Assert.NotEqual(-1, previous);
        try
        {
            body();
        }
        finally
        {
            Posix.signal(Posix.SIGUSR2, previous);
        }
    }

    [Fact]
    public void An_event_whose_only_signal_is_ignored_is_refused_with_the_reason() => WithSigusr2Ignored(() =>
    {
        Assert.True(SignalDisposition.IsIgnored(SIGUSR2));
        var e = Assert.Throws<InvalidOperationException>(() => new SignalEvent(SIGUSR2));
        Assert.Contains("12 is ignored in this process", e.Message);
        Assert.Contains("could never fire", e.Message);
    });

    [Fact]
    public void An_event_with_one_ignored_signal_receives_the_others_and_lists_it() => WithSigusr2Ignored(() =>
        IOTestSupport.Bounded(() =>
        {
            using var signals = new SignalEvent(SIGUSR1, SIGUSR2);
            Assert.Equal([SIGUSR2], signals.IgnoredSignals);
            Assert.Contains("(12 ignored)", signals.ToString());
            Send(Posix.SIGUSR2);   // the kernel discards it: the process survives, nothing arrives
            Send(Posix.SIGUSR1);
            Assert.Equal(SIGUSR1, signals.Receive());
            Assert.False(signals.TryReceive(out _));
            Assert.Equal(1, signals.Received);
        }));

    [Fact]
    public void An_event_lists_no_ignored_signal_when_none_is()
    {
        Assert.False(SignalDisposition.IsIgnored(SIGUSR1));
        using var signals = new SignalEvent(SIGUSR1);
        Assert.Empty(signals.IgnoredSignals);
    }

    [Fact]
    public void The_disposition_a_child_inherits_is_read_from_its_SigIgn_mask() => IOTestSupport.Bounded(() =>
    {
        // A shell that ignores SIGINT, as a non-interactive shell does for a background job, then execs
        // into a reader of its own status: the ignored disposition survives exec.
        ProcessResult r = FiberProcess.Run("sh", "-c", "trap '' INT; exec cat /proc/self/status");
        Assert.Equal(0, r.ExitCode);
        ulong? mask = SignalDisposition.ParseIgnoredMask(r.StandardOutput);
        Assert.NotNull(mask);
        Assert.NotEqual(0UL, mask!.Value & (1UL << (2 - 1)));   // SIGINT is 2: bit 1
        Assert.Null(SignalDisposition.ParseIgnoredMask("Name:\tcat\nSigBlk:\t0\n"));
    });

    [Fact]
    public void The_constructor_needs_at_least_one_signal()
    {
        Assert.Equal("signals", Assert.Throws<ArgumentNullException>(() => new SignalEvent(null!)).ParamName);
        Assert.Equal("signals", Assert.Throws<ArgumentException>(() => new SignalEvent()).ParamName);
    }
}

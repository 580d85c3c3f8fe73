using System.Diagnostics;
using Thredo.Diagnostics;
using Thredo.Fibers;

namespace Thredo.Kernel;

/// <summary>
/// <see cref="FiberOptions.ForeignBlockHandoff"/>: a watchdog thread that notices a fiber holding its
/// kernel's baton while asleep in the OS (a C# <c>lock</c>, <c>Thread.Sleep</c>, <c>Task.Wait</c>, a
/// plain socket read) and hands the baton on without it (<see cref="Kernel.DetachForeignBlocked"/>).
/// </summary>
/// <remarks>
/// Discussion: a kernel is a suspect when its hand-off count has not moved for the hand-off delay and
/// its holder is a fiber's thread. Only then is the OS asked for the thread's state (one read of
/// /proc on Linux; on Windows a snapshot of the system's threads, see <see cref="OsThread"/>), so busy
/// kernels cost one lock and two reads per tick. A fiber that computes is left alone
/// (LongBlockWarning reports it); one asleep at two looks in a row is handed off: one look could catch
/// a moment's sleep on a contended lock. With every kernel idle the watchdog sleeps until a kernel
/// wakes it, so an idle program costs nothing.
/// With LongBlockWarning, <see cref="MonitorContention"/> is on while the watch runs, so that a long stay
/// in Monitor.Enter is reported as such, with the lock's holder, and a cycle of them as a deadlock.
/// </remarks>
internal sealed class ForeignBlockWatch : IDisposable
{
    private readonly FiberRuntime _runtime;
    private readonly Kernel[] _kernels;
    private readonly long _handoffTicks;                        // how long a holder may sleep in foreign code
    private readonly TimeSpan _period;                          // between looks while some kernel is busy
    private readonly long? _reportTicks;                        // LongBlockWarning: report hand-offs and long stays
    private readonly bool _captureStacks;                       // CaptureStacks: the report carries where it came back
    private readonly long[] _lastSwitches, _since;              // per kernel: hand-offs at the last look, and since when unchanged
    private readonly int[] _asleepLooks;                        // per kernel: consecutive looks that found the holder asleep
    private readonly long[] _asleepSince;                       // per kernel: when the first of them was taken
    private readonly long[] _gcEpochAtFirstLook;                // per kernel: GcEpoch() when the first of them was taken
    private readonly long[] _scheduledAtFirstLook;              // per kernel: the holder's OsThread.ScheduledTime then
    private readonly List<Fiber> _detached = [];                // handed off and not back yet (watchdog thread only)
    private readonly HashSet<Fiber> _inDeadlock = [];           // in a Monitor deadlock already reported (watchdog thread only)
    private readonly List<Fiber> _reported = [];                // reported as a long stay and still away: re-checked for a deadlock (watchdog thread only)
    private readonly AutoResetEvent _wake = new(false);        // a kernel left its idle step
    private readonly Thread _thread;
    private volatile bool _stop;
    private int _idleWait;                                      // 1: the watchdog sleeps until a kernel wakes it
    private long _handOffs;                                     // fibers handed off so far

    internal ForeignBlockWatch(FiberRuntime runtime, Kernel[] kernels, TimeSpan handoff, TimeSpan? report, bool captureStacks)
    {
        _runtime = runtime;
        _kernels = kernels;
        _handoffTicks = (long)(handoff.TotalSeconds * Stopwatch.Frequency);
        _period = handoff / 2 > TimeSpan.FromMilliseconds(1) ? handoff / 2 : TimeSpan.FromMilliseconds(1);
        _reportTicks = report is TimeSpan r ? (long)(r.TotalSeconds * Stopwatch.Frequency) : null;
        _captureStacks = captureStacks;
        _lastSwitches = new long[kernels.Length];
        _since = new long[kernels.Length];
        _asleepLooks = new int[kernels.Length];
        _asleepSince = new long[kernels.Length];
        _gcEpochAtFirstLook = new long[kernels.Length];
        _scheduledAtFirstLook = new long[kernels.Length];
        if (report is not null)
            MonitorContention.Acquire();   // before any fiber runs: a wait begun before it is never learnt
        _thread = new Thread(Loop, 256 * 1024) { IsBackground = true, Name = "thredo foreign-block watch" };
        _thread.Start();
    }

    /// <summary>Fibers handed off so far (the metric of the host issue's Meter).</summary>
    internal long HandOffs => Interlocked.Read(ref _handOffs);

    /// <summary>A kernel has left its idle step: look again soon.</summary>
    internal void Nudge()
    {
        if (Volatile.Read(ref _idleWait) != 0)
            _wake.Set();   // only then: this runs on every return from an idle step
    }

    private void Loop()
    {
        while (!_stop)
        {
            bool anyBusy = false;
            long now = Clock.Now;
            for (int i = 0; i < _kernels.Length; i++)
                anyBusy |= Look(i, now);
            ReportLongStays(now);
            if (anyBusy || _detached.Count > 0)
            {
                Thread.Sleep(_period);
                continue;
            }
            // Announce the wait, then look again: a kernel that left its idle step before the
            // announcement is seen busy here; one that leaves after it sees the flag and wakes us.
            Interlocked.Exchange(ref _idleWait, 1);
            if (_kernels.All(k => k.IsIdle))
                _wake.WaitOne(TimeSpan.FromMilliseconds(250));
            Volatile.Write(ref _idleWait, 0);
        }
    }

    /// <summary>One look at kernel <paramref name="i"/>; true if it is busy (not idle).</summary>
    private bool Look(int i, long now)
    {
        Kernel k = _kernels[i];
        Fiber? running;
        long switches;
        FiberThread? thread;
        lock (k.Lock)
        {
            switches = k.Switches;
            running = k.Running;
            thread = !k.IsPollingLocked && running is { SchedState: FiberState.Running, Native: null } ? running.Thread : null;
        }
        if (switches != _lastSwitches[i] || thread is null)
        {
            _lastSwitches[i] = switches;
            _since[i] = now;
            _asleepLooks[i] = 0;
            return !k.IsIdle;
        }
        if (now - _since[i] < _handoffTicks)
            return true;
        if (!OsThread.IsAsleep(thread.Tid))
        {
            _asleepLooks[i] = 0;   // computing: not ours to hand off
            return true;
        }
        // A thread the GC has suspended is asleep too, computing or not: a collection between the two
        // looks voids them. Back in managed code after the read, this thread waits out a collection
        // in progress, so its end shows in the epoch read here.
        // And a thread that ran between two looks that found it asleep (GC suspensions, page-ins) was
        // computing: its scheduled time moved.
        // The thread must stay asleep for the whole ForeignBlockHandoff, look after look, not be glimpsed
        // asleep once: the runtime itself parks a computing thread for a moment now and then (a GC, a
        // JIT or type-loader lock), and that is no foreign call.
        long gcEpoch = GcEpoch();
        long scheduled = OsThread.ScheduledTime(thread.Tid);
        if (_asleepLooks[i] == 0 || gcEpoch != _gcEpochAtFirstLook[i] || scheduled != _scheduledAtFirstLook[i])
        {
            _asleepLooks[i] = 1;   // the first asleep look of a streak, or the streak was voided: start from this one
            _asleepSince[i] = now;
            _gcEpochAtFirstLook[i] = gcEpoch;
            _scheduledAtFirstLook[i] = scheduled;
            return true;
        }
        if (++_asleepLooks[i] < 2 || now - _asleepSince[i] < _handoffTicks)
            return true;
        _asleepLooks[i] = 0;
        if (k.DetachForeignBlocked(running!, switches))
        {
            Interlocked.Increment(ref _handOffs);
            _detached.Add(running!);
            if (_reportTicks is not null)
                _runtime.Report(DiagnosticKind.LongBlock, $"Thredo: fiber {running!.Id} '{running.Name}' was asleep in a call Thredo does not serve for {Ms(now - _since[i])} ms while holding its kernel; " +
                    "the kernel went on without it until its next Thredo operation. Wrap such calls in Fiber.RunBlocking or use Thredo's own primitives.");
        }
        return true;
    }

    /// <summary>Changes with every garbage collection, begun or ended.</summary>
    private static long GcEpoch() => GC.CollectionCount(0) + GC.GetTotalPauseDuration().Ticks;

    /// <summary>With LongBlockWarning: a fiber that stays away that long (a Monitor deadlock, a read that never returns) is reported once.</summary>
    private void ReportLongStays(long now)
    {
        MonitorWaitFor? waits = null;
        _inDeadlock.RemoveWhere(static f => !f.Detached || f.IsCompleted);
        _reported.RemoveAll(f => !f.Detached || f.IsCompleted || _inDeadlock.Contains(f));
        // Contention events lag (more on a loaded machine): a cycle may show only after its fibers' first reports.
        if (_reported.Count > 0 && MonitorContention.AnyWaits)
        {
            waits = new MonitorWaitFor(_runtime.LiveFibers());
            foreach (Fiber f in _reported.ToArray())
            {
                if (!_inDeadlock.Contains(f) && waits.Chain(f, out bool cycle) is { } chain && cycle)
                    _runtime.Report(DiagnosticKind.LongBlock, ReportDeadlock(chain, waits));
            }
        }
        for (int i = _detached.Count - 1; i >= 0; i--)
        {
            Fiber f = _detached[i];
            if (!f.Detached || f.IsCompleted)
            {
                _detached.RemoveAt(i);
                continue;
            }
            if (_reportTicks is long limit && now - f.DetachedAt >= limit)
            {
                _detached.RemoveAt(i);
                if (_inDeadlock.Contains(f))
                    continue;   // named in a deadlock report already
                waits ??= new MonitorWaitFor(_runtime.LiveFibers());
                _runtime.Report(DiagnosticKind.LongBlock, DescribeLongStay(f, waits, now));
                if (!_inDeadlock.Contains(f))
                    _reported.Add(f);
            }
        }
    }

    /// <summary>
    /// What is known of a long stay: a Monitor deadlock naming every fiber of the cycle, a wait in
    /// Monitor.Enter naming the lock's holder (and whom that one waits for), or a sleep outside Thredo.
    /// </summary>
    private string DescribeLongStay(Fiber f, MonitorWaitFor waits, long now)
    {
        if (!MonitorWaitFor.TryGetWait(f, out _))
            return $"Thredo: fiber {f.Id} '{f.Name}' has been asleep outside Thredo for {Ms(now - f.DetachedAt)} ms, in a call Thredo does not serve, " +
                "with no wait for a C# lock seen (a plain wait, a sleep, blocking I/O). Wrap such calls in Fiber.RunBlocking or use Thredo's own primitives.";
        List<Fiber> chain = waits.Chain(f, out bool cycle);
        return cycle ? ReportDeadlock(chain, waits)
            : $"Thredo: {waits.DescribeChain(chain)}; handed off {Ms(now - f.DetachedAt)} ms ago, the kernel went on without it.";
    }

    /// <summary>The report of a Monitor deadlock, whose fibers are then not reported again.</summary>
    private string ReportDeadlock(List<Fiber> cycle, MonitorWaitFor waits)
    {
        _inDeadlock.UnionWith(cycle);
        return $"Thredo: Monitor deadlock: {waits.DescribeChain(cycle)}. No hand-off resolves it: " +
            "these fibers stay asleep until one gives up (Monitor.TryEnter with a timeout) or the process ends. Take the locks in one order.";
    }

    /// <summary>The fiber has taken the baton back (its own thread): with LongBlockWarning and CaptureStacks, say where.</summary>
    internal void OnTakenBack(Fiber fiber)
    {
        if (_reportTicks is not null && _captureStacks)
            _runtime.Report(DiagnosticKind.LongBlock, $"Thredo: fiber {fiber.Id} '{fiber.Name}' came back to Thredo after {Ms(Clock.Now - fiber.DetachedAt)} ms in a foreign blocking call, at:{Environment.NewLine}{Environment.StackTrace}");
    }

    private static string Ms(long ticks) => (ticks * 1000.0 / Stopwatch.Frequency).ToString("F0", System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public void Dispose()
    {
        _stop = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
        if (_reportTicks is not null)
            MonitorContention.Release();
    }
}

using System.Diagnostics;
using System.Text;
using Thredo.Diagnostics;
using Thredo.Fibers;

namespace Thredo.Kernel;

/// <summary>
/// One <c>Fiber.Run</c> or <c>FiberHost</c>: its kernels, the set of live fibers, and the policies
/// that span kernels (placement and stealing, deadlock detection, shutdown when main ends or the host
/// stops). Scheduling state is per kernel; <see cref="Lock"/> guards only what spans them, and is
/// never taken on a hand-off.
/// </summary>
internal sealed class FiberRuntime : IDisposable
{
    // ---- Runtime state (guarded by Lock unless marked) ------------------------------------------
    internal readonly Lock Lock = new();                      // deadlock state; taken before any kernel lock
    internal readonly FiberOptions Options;                   // as given to Fiber.Run or FiberHost.Start
    internal readonly bool Hosted;                            // a FiberHost: lives until stopped, not until its fibers end
    private bool _stopping;                                   // hosted: StopAsync began; no outside spawn is admitted
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously); // hosted: kernel hosts gone
    internal readonly long StartedAt = Clock.Now;             // for kernel busy time
    internal readonly FiberThreadPool Threads;                // threads with Options.StackSizeBytes
    private readonly Kernel[] _kernels;                       // one per baton (Options.Schedulers); immutable
    private int _liveCount;                                   // fibers spawned and not ended (Interlocked); each kernel lists its own
    private int _nextKernel;                                  // round-robin placement (Interlocked)
    private volatile bool _finished;                          // no fiber left (or the rest abandoned); read without the lock
    private int _deadlocks;                                   // deadlocks declared so far
    private long _deadlockSuspectedAt;                        // when the condition was first seen; 0 if not
    private long _switchesWhenSuspected;                      // all kernels' hand-offs then: any since clears the suspicion
    internal FiberDeadlockException? Deadlock;                // the first deadlock's report
    internal Fiber? Main;                                     // Fiber.Run's fiber
    internal readonly LongBlockWatch? Watch;                  // FiberOptions.LongBlockWarning
    internal readonly ForeignBlockWatch? ForeignWatch;        // FiberOptions.ForeignBlockHandoff
    internal Action<DiagnosticKind, string> Sink = static (_, m) => Console.Error.WriteLine(m); // where reports go (tests, ILogger)
    internal int InjectedThreadFailures;                      // tests only: this many thread starts fail next, as at an OS limit
    private KernelHost[] _hosts = [];                         // one per kernel while RunKernels runs; freed last

    internal FiberRuntime(FiberOptions options, bool hosted = false)
    {
        Options = options;
        Hosted = hosted;
        Threads = FiberThreadPool.For(options.StackSizeBytes);
        _kernels = new Kernel[options.Schedulers];
        for (int i = 0; i < _kernels.Length; i++)
            _kernels[i] = new Kernel(this, i);
        if (options.LongBlockWarning is TimeSpan limit)
            Watch = new LongBlockWatch(_kernels, limit);
        if (options.ForeignBlockHandoff != Timeout.InfiniteTimeSpan)
            ForeignWatch = new ForeignBlockWatch(this, _kernels, options.ForeignBlockHandoff, options.LongBlockWarning, options.CaptureStacks);
        WarnIfFewThreadsLeft();
        RuntimeMetrics.Add(this);
    }

    /// <summary>Sends a diagnostic to <see cref="Sink"/> (standard error unless a host or a test took it).</summary>
    internal void Report(DiagnosticKind kind, string message) => Sink(kind, message);

    private static int s_warned;

    /// <summary>Start-up check: a process that can start only a few more threads is told once, with the limits to raise.</summary>
    private static void WarnIfFewThreadsLeft()
    {
        ThreadLimits limits = ThreadLimits.AtStart;
        if (limits.Headroom is long room && room < 1024 && Interlocked.Exchange(ref s_warned, 1) == 0)
            Console.Error.WriteLine($"Thredo: this process can start only about {room} more threads (kernel.threads-max {limits.ThreadsMax}, " +
                $"kernel.pid_max {limits.PidMax}, ulimit -u {limits.MaxProcesses}, vm.max_map_count {limits.MaxMapCount}); every fiber that blocks " +
                "holds one. See docs/scaling.md for the settings to raise.");
    }

    /// <summary>True once no fiber is left (or the rest were abandoned after a second deadlock).</summary>
    internal bool IsFinished => _finished;

    /// <summary>The kernels, for diagnostics and tests.</summary>
    internal IReadOnlyList<Kernel> Kernels => _kernels;

    /// <summary>
    /// The kernel a new fiber goes to: its spawner's (see <see cref="Kernel.TryGiveFreshTo"/> for why),
    /// round-robin when the spawner is no fiber of this runtime.
    /// </summary>
    internal Kernel Place(Fiber? spawner) =>
        spawner?.Runtime == this ? spawner.Kernel
        : _kernels.Length == 1 ? _kernels[0]
        : _kernels[(int)((uint)Interlocked.Increment(ref _nextKernel) % (uint)_kernels.Length)];

    /// <summary>A fiber was spawned (before it is queued).</summary>
    internal void OnFiberSpawned() => Interlocked.Increment(ref _liveCount);

    /// <summary>Deadlocks declared so far (metrics).</summary>
    internal int DeadlockCount => Volatile.Read(ref _deadlocks);

    /// <summary>Live fibers now, and fibers ever spawned (metrics).</summary>
    internal int LiveCount => Volatile.Read(ref _liveCount);
    internal long SpawnedCount => _kernels.Sum(static k => Volatile.Read(ref k.Spawned));

    /// <summary>
    /// A fiber has ended and left its kernel's live list: the runtime finishes with the last one
    /// (a host's only once it is stopping: until then more work may come from outside).
    /// </summary>
    internal void OnFiberEnded()
    {
        int left = Interlocked.Decrement(ref _liveCount);
        Debug.Assert(left >= 0);
        if (left == 0)
        {
            lock (Lock)
            {
                if ((!Hosted || _stopping) && Volatile.Read(ref _liveCount) == 0)
                    FinishLocked();
            }
        }
    }

    private void FinishLocked()
    {
        Debug.Assert(Lock.IsHeldByCurrentThread);
        _finished = true;
        foreach (Kernel k in _kernels)
        {
            lock (k.Lock)
                k.WakeForShutdownLocked();
        }
    }

    /// <summary>Runs every kernel until no fiber is left; kernel 0 on the calling thread.</summary>
    internal void RunKernels()
    {
        _hosts = _kernels.Select(k => new KernelHost(k)).ToArray();
        var others = _hosts.Skip(1).Select(h => new Thread(h.Run, Options.StackSizeBytes) { IsBackground = true, Name = "thredo kernel host" }).ToArray();
        foreach (Thread t in others) t.Start();
        _hosts[0].Run();
        foreach (Thread t in others) t.Join();
    }

    // ---- Hosted (FiberHost) ------------------------------------------------------------------------

    /// <summary>Starts every kernel on a thread of its own; the first one's thread disposes the runtime at the end.</summary>
    internal void StartKernels()
    {
        Debug.Assert(Hosted);
        _hosts = _kernels.Select(k => new KernelHost(k)).ToArray();
        var threads = _hosts.Select(h => new Thread(h.Run, Options.StackSizeBytes) { IsBackground = true, Name = "thredo kernel host" }).ToArray();
        Thread first = threads[0];
        threads[0] = new Thread(() =>
        {
            _hosts[0].Run();
            foreach (Thread t in threads.Skip(1)) t.Join();
            // Abandoned fibers may still touch their kernels (a computing one blocks later): only a
            // runtime whose every fiber has ended is freed.
            if (LiveCount == 0)
                Dispose();
            _ended.TrySetResult();
        }, Options.StackSizeBytes) { IsBackground = true, Name = "thredo kernel host" };
        foreach (Thread t in threads) t.Start();
    }

    /// <summary>Completes once a host's kernels have stopped (every fiber ended, or the rest abandoned).</summary>
    internal Task Ended => _ended.Task;

    /// <summary>True once <see cref="BeginStop"/> has run.</summary>
    internal bool IsStopping => Volatile.Read(ref _stopping);

    /// <summary>
    /// A fiber from outside the runtime (a plain thread, async code, another runtime's fiber): made and
    /// queued under <see cref="Lock"/>, so that none slips in after the stop has seen the last one end.
    /// Null once stopping.
    /// </summary>
    internal Fiber? TrySpawnFromOutside(Func<Kernel, Fiber> construct)
    {
        lock (Lock)
            return _stopping ? null : Fiber.Create(this, construct);
    }

    /// <summary>A host's stop: no more outside spawns, every fiber cancelled. False if it had begun already.</summary>
    internal bool BeginStop()
    {
        lock (Lock)
        {
            if (_stopping)
                return false;
            _stopping = true;
            if (_liveCount == 0)
                FinishLocked();
        }
        CancelAll();
        return true;
    }

    /// <summary>A host's stop after its grace period: the kernels stop with the fibers left running. Returns them.</summary>
    internal List<Fiber> Abandon()
    {
        List<Fiber> left = LiveFibers();
        lock (Lock)
            FinishLocked();
        foreach (KernelHost h in _hosts)
            h.Parker.Wake();   // a host waiting for the baton held by a fiber that never blocks
        return left;
    }

    /// <summary>Every live fiber (a copy), kernel by kernel.</summary>
    internal List<Fiber> LiveFibers()
    {
        var all = new List<Fiber>(Volatile.Read(ref _liveCount));
        foreach (Kernel k in _kernels)
        {
            lock (k.Lock)
                k.CollectLiveLocked(all);
        }
        return all;
    }

    /// <summary>Every live fiber as it is now, in id order.</summary>
    internal IReadOnlyList<FiberInfo> Snapshot()
    {
        var all = new List<FiberInfo>(Volatile.Read(ref _liveCount));
        // A fiber off in Monitor.Enter names the lock's holder, which may be any live fiber: one pass for those first.
        MonitorWaitFor? monitor = MonitorContention.AnyWaits ? new MonitorWaitFor(LiveFibers()) : null;
        foreach (Kernel k in _kernels)
        {
            lock (k.Lock)
                k.DescribeLiveLocked(all, monitor);
        }
        all.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return all;
    }

    /// <summary>Main has ended: the fibers it left behind are cancelled, as a group would.</summary>
    internal void OnMainEnded() => CancelAll();

    private void CancelAll()
    {
        foreach (Fiber f in LiveFibers())
            f.RequestCancel();
    }

    // ---- Stealing --------------------------------------------------------------------------------

    /// <summary>An idle kernel looks for a never-started fiber queued on a busy one.</summary>
    internal Fiber? TrySteal(Kernel thief, ref long retryAt)
    {
        if (_kernels.Length == 1)
            return null;
        long now = Clock.Now;
        for (int i = 1; i < _kernels.Length; i++)
        {
            Kernel victim = _kernels[(thief.Index + i) % _kernels.Length];
            if (victim.TryGiveFreshTo(thief, now, ref retryAt) is Fiber fresh)
                return fresh;
        }
        return null;
    }

    /// <summary>A busy kernel has queued a new fiber: wake one idle kernel so that it can steal it.</summary>
    internal void NudgeIdleKernel(Kernel busy)
    {
        for (int i = 1; i < _kernels.Length; i++)
        {
            Kernel k = _kernels[(busy.Index + i) % _kernels.Length];
            if (k.IsIdle)
            {
                k.Nudge();
                return;
            }
        }
    }

    // ---- Deadlock --------------------------------------------------------------------------------

    /// <summary>How long the deadlock condition must hold before it is declared.</summary>
    /// <remarks>
    /// Discussion: "touched by a plain thread" is only known once the thread has touched the
    /// primitive. A fiber that starts a producer thread and waits before the thread first runs looks
    /// deadlocked for a moment; the grace period lets such threads show up. It also makes the check
    /// sound across kernels, whose states are read one lock at a time: the condition must hold at
    /// both ends of the grace period with no hand-off anywhere in between.
    /// On a loaded machine a producer can wait for a CPU longer than the grace (a full CI run declared
    /// a thread's Sleep(20)-then-Set a deadlock): while another thread of the process is runnable
    /// the declaration waits, up to <see cref="DeadlockGraceLimit"/>.
    /// </remarks>
    internal static readonly TimeSpan DeadlockGrace = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest a suspected deadlock waits for the process's runnable threads to settle (Linux).</summary>
    internal static readonly TimeSpan DeadlockGraceLimit = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Called by an idle holder (its kernel marked polling, no kernel lock held). Returns null if the
    /// runtime is not deadlocked; 0 if it is, now declared (the fibers are being cancelled); otherwise
    /// how long (ns) to wait before checking again, while the condition holds but the grace period has
    /// not passed. A deadlock: no kernel can make progress, no fiber runs foreign code, and no waiter
    /// could be completed by a plain thread or async code.
    /// </summary>
    internal long? CheckDeadlock()
    {
        if (Hosted)
            return null;   // outside code can always spawn or feed a host's fibers: waiting is no deadlock
        // The runnable-thread scan reads a /proc file per thread (every managed fiber is one): not under Lock.
        for (bool quietSeen = false; ; quietSeen = true)
        {
            lock (Lock)
            {
                long switches = 0;
                bool stuck = !_finished;
                foreach (Kernel k in _kernels)
                {
                    lock (k.Lock)
                    {
                        stuck &= !k.HasProspectsLocked && k.AllLiveStuckLocked();
                        switches += k.Switches;
                    }
                }
                long now = Clock.Now;
                if (!stuck || (_deadlockSuspectedAt != 0 && switches != _switchesWhenSuspected))
                {
                    _deadlockSuspectedAt = stuck ? now : 0;
                    _switchesWhenSuspected = switches;
                    return stuck ? GraceNs() : null;
                }
                if (_deadlockSuspectedAt == 0)
                {
                    _deadlockSuspectedAt = now;
                    _switchesWhenSuspected = switches;
                }
                long declareAt = _deadlockSuspectedAt + (long)(DeadlockGrace.TotalSeconds * Stopwatch.Frequency);
                if (now < declareAt)
                    return Math.Max(1, Clock.NanosecondsUntil(declareAt));
                bool mayWait = now - _deadlockSuspectedAt < (long)(DeadlockGraceLimit.TotalSeconds * Stopwatch.Frequency);
                if (quietSeen || !mayWait)
                {
                    _deadlockSuspectedAt = 0;
                    _deadlocks++;
                    Deadlock ??= new FiberDeadlockException(DescribeLocked());
                    return 0;
                }
            }
            // The condition held through the grace. Declared on the next pass (which checks it again)
            // unless a thread that may yet touch a primitive is waiting for a CPU.
            if (OsThread.AnyOtherRunnable())
                return GraceNs();
        }
    }

    private static long GraceNs() => (long)(DeadlockGrace.TotalSeconds * 1e9);

    /// <summary>
    /// After a deadlock: the first time every fiber is cancelled so that its cleanup runs; if they
    /// deadlock again while cleaning up, the rest are abandoned (their threads stay parked) and
    /// <c>Fiber.Run</c> reports the first deadlock.
    /// </summary>
    internal void OnDeadlock()
    {
        bool abandon;
        lock (Lock)
        {
            abandon = _deadlocks > 1;
            if (abandon)
                FinishLocked();
        }
        if (!abandon)
            CancelAll();
    }

    private string DescribeLocked()
    {
        var sb = new StringBuilder("Deadlock: every fiber waits on something that nothing can satisfy.");
        foreach (Fiber f in LiveFibers().OrderBy(f => f.Id))
            sb.Append(Environment.NewLine).Append("  fiber ").Append(f.Id).Append(" '").Append(f.Name).Append("' is blocked in ")
              .Append(f.DescribeWait() ?? "nothing");
        return sb.ToString();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Debug.Assert(_finished);
        RuntimeMetrics.Remove(this);
        Watch?.Dispose();
        ForeignWatch?.Dispose();
        foreach (Kernel k in _kernels)
            k.Dispose();   // joins the native fiber hosts, whose last hand-off may still wake a kernel host
        foreach (KernelHost h in _hosts)
            h.Dispose();
    }
}

using System.Diagnostics;
using System.Text;

namespace Thredo.Kernel;

/// <summary>
/// One <c>Fiber.Run</c>: its kernels, the set of live fibers, and the policies that span kernels
/// (deadlock detection, shutdown when main ends). Its <see cref="Gate"/> guards every kernel's and
/// every fiber's scheduling state.
/// </summary>
internal sealed class FiberRuntime : IDisposable
{
    // ---- Runtime state (guarded by Gate) ------------------------------------------------------
    internal readonly Lock Gate = new();                      // the one scheduler lock
    internal readonly FiberOptions Options;                   // as given to Fiber.Run
    internal readonly FiberThreadPool Threads;                // threads with Options.StackSizeBytes
    private readonly Kernel[] _kernels;                       // one per baton (Options.Schedulers)
    private readonly HashSet<Fiber> _live = [];               // spawned and not yet ended
    private int _nextKernel;                                  // round-robin placement of new fibers
    private bool _finished;                                   // no fiber left (or the rest abandoned)
    private int _deadlocks;                                   // deadlocks declared so far
    internal FiberDeadlockException? Deadlock;                // the first deadlock's report
    internal Fiber? Main;                                     // Fiber.Run's fiber
    internal readonly LongBlockWatch? Watch;                  // FiberOptions.LongBlockWarning

    internal FiberRuntime(FiberOptions options)
    {
        Options = options;
        Threads = FiberThreadPool.For(options.StackSizeBytes);
        _kernels = new Kernel[options.Schedulers];
        for (int i = 0; i < _kernels.Length; i++)
            _kernels[i] = new Kernel(this);
        if (options.LongBlockWarning is TimeSpan limit)
            Watch = new LongBlockWatch(_kernels, limit);
    }

    internal bool IsFinishedLocked => _finished;

    /// <summary>The kernel a new fiber goes to.</summary>
    internal Kernel PlaceLocked() => _kernels[_nextKernel++ % _kernels.Length];

    internal void AddLiveLocked(Fiber fiber)
    {
        _live.Add(fiber);
        fiber.Thread?.Parker.SetSpin((uint)Options.ParkSpinIterations);   // pooled threads serve many runtimes
    }

    /// <summary>Runs every kernel until no fiber is left; kernel 0 on the calling thread.</summary>
    internal void RunKernels()
    {
        var hosts = _kernels.Select(k => new KernelHost(k)).ToArray();
        var others = hosts.Skip(1).Select(h => new Thread(h.Run, Options.StackSizeBytes) { IsBackground = true, Name = "thredo kernel host" }).ToArray();
        foreach (Thread t in others) t.Start();
        hosts[0].Run();
        foreach (Thread t in others) t.Join();
        foreach (KernelHost h in hosts) h.Dispose();
    }

    /// <summary>A fiber has ended: forget it, and finish the runtime with the last one.</summary>
    internal void RemoveLiveLocked(Fiber fiber)
    {
        _live.Remove(fiber);
        if (_live.Count == 0)
            FinishLocked();
    }

    private void FinishLocked()
    {
        _finished = true;
        foreach (Kernel k in _kernels)
            k.WakeForShutdownLocked();
    }

    /// <summary>Main has ended: the fibers it left behind are cancelled, as a group would.</summary>
    internal void OnMainEnded() => CancelAll();

    private void CancelAll()
    {
        Fiber[] rest;
        lock (Gate)
            rest = [.. _live];
        foreach (Fiber f in rest)
            f.RequestCancel();
    }

    /// <summary>How long the deadlock condition must hold before it is declared.</summary>
    /// <remarks>
    /// Discussion: "touched by a plain thread" is only known once the thread has touched the
    /// primitive. A fiber that starts a producer thread and waits before the thread first runs looks
    /// deadlocked for a moment; the grace period lets such threads show up.
    /// </remarks>
    internal static readonly TimeSpan DeadlockGrace = TimeSpan.FromMilliseconds(100);

    private long _deadlockSuspectedAt;                        // when the condition was first seen; 0 if not

    /// <summary>
    /// Called by an idle holder whose kernel has nothing to do. Returns null if the runtime is not
    /// deadlocked; 0 if it is, now declared (the fibers are being cancelled); otherwise how long (ns)
    /// to wait before checking again, while the condition holds but the grace period has not passed.
    /// A deadlock: no kernel can make progress, no fiber runs foreign code, and no waiter could be
    /// completed by a plain thread or async code.
    /// </summary>
    internal long? CheckDeadlockLocked()
    {
        if (!IsDeadlockedLocked())
        {
            _deadlockSuspectedAt = 0;
            return null;
        }
        long now = Clock.Now;
        if (_deadlockSuspectedAt == 0)
            _deadlockSuspectedAt = now;
        long declareAt = _deadlockSuspectedAt + (long)(DeadlockGrace.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        if (now < declareAt)
            return Math.Max(1, Clock.NanosecondsUntil(declareAt));
        _deadlockSuspectedAt = 0;
        _deadlocks++;
        Deadlock ??= new FiberDeadlockException(DescribeLocked());
        return 0;
    }

    private bool IsDeadlockedLocked()
    {
        if (_finished)
            return false;
        foreach (Kernel k in _kernels)
            if (k.HasProspectsLocked)
                return false;
        // A live fiber with no waiter is off running foreign code (RunBlocking) and will come back.
        foreach (Fiber f in _live)
            if (f.CurrentWaiter is not Waiter w || w.CanBeCompletedFromOutside)
                return false;
        return true;
    }

    /// <summary>
    /// After a deadlock: the first time every fiber is cancelled so that its cleanup runs; if they
    /// deadlock again while cleaning up, the rest are abandoned (their threads stay parked) and
    /// <c>Fiber.Run</c> reports the first deadlock.
    /// </summary>
    internal void OnDeadlock()
    {
        bool abandon;
        lock (Gate)
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
        foreach (Fiber f in _live.OrderBy(f => f.Id))
            sb.Append(Environment.NewLine).Append("  fiber ").Append(f.Id).Append(" '").Append(f.Name).Append("' is blocked in ")
              .Append(f.CurrentWaiter?.Describe() ?? "nothing");
        return sb.ToString();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Debug.Assert(_finished);
        Watch?.Dispose();
        foreach (Kernel k in _kernels)
            k.Dispose();
    }
}

namespace Thredo.Kernel;

/// <summary>
/// <see cref="FiberOptions.LongBlockWarning"/>: a watcher thread that reports a fiber holding its
/// kernel's baton (running without blocking) for longer than the limit, once per occurrence.
/// </summary>
/// <remarks>
/// A thread of its own, not a thread-pool timer: a starved pool (blocking code on pool threads, the
/// very situation worth warning about) delayed the timer past whole occurrences.
/// </remarks>
internal sealed class LongBlockWatch : IDisposable
{
    private readonly Kernel[] _kernels;
    private readonly TimeSpan _limit;
    private readonly long[] _lastSwitches;
    private readonly long[] _since;
    private readonly bool[] _reported;
    private long _reports;                 // long blocks reported so far (metrics)
    private readonly TimeSpan _period;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;

    internal LongBlockWatch(Kernel[] kernels, TimeSpan limit)
    {
        _kernels = kernels;
        _limit = limit;
        _lastSwitches = new long[kernels.Length];
        _since = new long[kernels.Length];
        _reported = new bool[kernels.Length];
        _period = limit / 4 > TimeSpan.FromMilliseconds(1) ? limit / 4 : TimeSpan.FromMilliseconds(1);
        _thread = new Thread(Loop) { IsBackground = true, Name = "thredo long-block watch" };
        _thread.Start();
    }

    private void Loop()
    {
        while (!_stop.Wait(_period))
            Check();
    }

    private void Check()
    {
        long now = Clock.Now;
        for (int i = 0; i < _kernels.Length; i++)
        {
            Kernel k = _kernels[i];
            Fiber? running;
            long switches;
            bool busy;
            lock (k.Lock)
            {
                switches = k.Switches;
                running = k.Running;
                busy = !k.IsPollingLocked && running is { SchedState: FiberState.Running };
            }
            if (switches != _lastSwitches[i] || !busy)
            {
                _lastSwitches[i] = switches;
                _since[i] = now;
                _reported[i] = false;
                continue;
            }
            TimeSpan held = TimeSpan.FromSeconds((now - _since[i]) / (double)System.Diagnostics.Stopwatch.Frequency);
            if (held >= _limit && !_reported[i])
            {
                _reported[i] = true;
                Interlocked.Increment(ref _reports);
                _kernels[i].Runtime.Report(DiagnosticKind.LongBlock, $"Thredo: fiber {running!.Id} '{running.Name}' has held its kernel for {held.TotalMilliseconds:F0} ms without blocking (LongBlockWarning {_limit.TotalMilliseconds:F0} ms); other fibers of the kernel are starved.");
            }
        }
    }

    /// <summary>Long blocks reported so far.</summary>
    internal long Reports => Interlocked.Read(ref _reports);

    /// <inheritdoc/>
    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }
}

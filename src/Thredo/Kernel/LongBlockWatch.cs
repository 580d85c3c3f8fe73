namespace Thredo.Kernel;

/// <summary>
/// <see cref="FiberOptions.LongBlockWarning"/>: a timer that reports a fiber holding its kernel's
/// baton (running without blocking) for longer than the limit, once per occurrence.
/// </summary>
internal sealed class LongBlockWatch : IDisposable
{
    private readonly Kernel[] _kernels;
    private readonly TimeSpan _limit;
    private readonly long[] _lastSwitches;
    private readonly long[] _since;
    private readonly bool[] _reported;
    private readonly Timer _timer;

    internal LongBlockWatch(Kernel[] kernels, TimeSpan limit)
    {
        _kernels = kernels;
        _limit = limit;
        _lastSwitches = new long[kernels.Length];
        _since = new long[kernels.Length];
        _reported = new bool[kernels.Length];
        TimeSpan period = limit / 4 > TimeSpan.FromMilliseconds(1) ? limit / 4 : TimeSpan.FromMilliseconds(1);
        _timer = new Timer(_ => Check(), null, period, period);
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
                _kernels[i].Runtime.Report($"Thredo: fiber {running!.Id} '{running.Name}' has held its kernel for {held.TotalMilliseconds:F0} ms without blocking (LongBlockWarning {_limit.TotalMilliseconds:F0} ms); other fibers of the kernel are starved.");
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _timer.Dispose();
}

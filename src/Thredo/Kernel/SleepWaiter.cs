namespace Thredo.Kernel;

/// <summary>A sleep: completed by its timer (none: sleep until interrupted); its undo removes the timer.</summary>
internal sealed class SleepWaiter : FiberWaiter
{
    private readonly TimerEntry? _timer;

    /// <inheritdoc/>
    internal override WaitKind Kind => WaitKind.Timer;

    /// <inheritdoc/>
    internal override string Describe()
    {
        long ns = _timer is null ? long.MaxValue : Clock.NanosecondsUntil(_timer.Deadline);
        return ns > TimeSpan.FromDays(3650).Ticks * 100 ? "Sleep (forever)" : $"Sleep until {DateTime.Now.AddTicks(ns / 100):HH:mm:ss.fff}";
    }

    internal SleepWaiter(Fiber fiber, long? deadline) : base(fiber)
    {
        Description = deadline is null ? "Sleep(forever)" : "Sleep";
        if (deadline is long d)
        {
            _timer = new TimerEntry { Deadline = d, Callback = static s => { var w = (Waiter)s!; if (w.TryComplete()) w.Signal(); }, State = this };
            lock (fiber.Kernel.Lock)
                fiber.Kernel.AddTimerLocked(_timer);
        }
    }

    /// <inheritdoc/>
    internal override void Undo()
    {
        if (_timer is not null)
            lock (Fiber.Kernel.Lock)
                Fiber.Kernel.RemoveTimerLocked(_timer);
    }
}

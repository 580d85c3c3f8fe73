namespace Thredo;

/// <summary>Settings of one <see cref="Fiber.Run(Action, FiberOptions?)"/> or <see cref="FiberHost.Start(FiberOptions?)"/>.</summary>
public sealed record FiberOptions
{
    /// <summary>Number of kernels (batons), each running its share of the fibers. Default 1; from 1 to 1,024.</summary>
    public int Schedulers { get; init; } = 1;

    /// <summary>
    /// Stack size of each managed fiber's OS thread, in bytes. Default 256 KiB; at least 64 KiB
    /// (the JIT, type loading and exception handling run on it too).
    /// </summary>
    public int StackSizeBytes { get; init; } = 256 * 1024;

    /// <summary>
    /// When set, a fiber that holds the kernel longer than this without blocking is reported on
    /// standard error (it starves every other fiber of its kernel). Null (default): no check.
    /// </summary>
    public TimeSpan? LongBlockWarning { get; init; }

    /// <summary>
    /// How a fiber's thread waits to be handed the baton. Null (default): it spins adaptively before
    /// sleeping in the OS: only while recent hand-offs came back within the spin budget, at most a few
    /// threads per kernel, never on one CPU and never while the kernel is idle, so a hot producer and
    /// consumer hand off core to core and an idle program burns nothing. A number overrides that with
    /// a fixed count of polls before sleeping; 0 never spins.
    /// </summary>
    public int? ParkSpinIterations { get; init; }

    /// <summary>
    /// How long a fiber may hold its kernel while asleep in a call Thredo does not serve (a C#
    /// <c>lock</c>, <c>Thread.Sleep</c>, <c>Task.Wait</c>, a plain <c>Socket.Receive</c>, a file read)
    /// before the kernel goes on without it. Default 2 ms; <see cref="Timeout.InfiniteTimeSpan"/> turns
    /// the watch off.
    /// </summary>
    /// <remarks>
    /// Such a fiber is treated from then on as if it had called <see cref="Fiber.RunBlocking(Action)"/>:
    /// the baton goes to the next runnable fiber, and the fiber takes it back at its next Thredo
    /// operation (any blocking member, <see cref="Fiber.Yield"/>, or a cancellation checkpoint) before
    /// that operation proceeds; a cancellation or timeout that arrived meanwhile is delivered there.
    /// What it runs between its foreign call returning and that operation is not serialized with the
    /// other fibers of its kernel, exactly as code inside <c>RunBlocking</c> is not: the single-baton
    /// guarantee covers code between Thredo operations only while no foreign call sleeps in it.
    /// A fiber that computes without sleeping is never handed off (see <see cref="LongBlockWarning"/>).
    /// With <see cref="LongBlockWarning"/> set, each hand-off is reported on standard error with the
    /// fiber's name, and a fiber away longer than that is reported again with what it waits for: a wait in
    /// <c>Monitor.Enter</c> names the fiber holding the lock, and a cycle of such waits (two C# locks taken
    /// in opposite orders) is reported as a Monitor deadlock naming every fiber in it. Snapshots then name
    /// the holder too. Thredo learns those waits from the runtime's lock-contention events, listened to
    /// in-process while a runtime with <see cref="LongBlockWarning"/> is live.
    /// The OS says whether a thread sleeps on Linux and Windows; where it does not (other systems, and
    /// Wine, which reports no thread states) no fiber is handed off (docs/design.md).
    /// </remarks>
    public TimeSpan ForeignBlockHandoff { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Usable stack size, in bytes, of each native fiber <see cref="Native.NativeFiber.Call"/> starts. Default
    /// 256 KiB: sixteen times the most libcurl with OpenSSL (an HTTPS transfer, 12 KiB) and libpq over TLS
    /// (16 KiB) were measured to touch (docs/native-fibers.md), with room for deeper paths of other libraries;
    /// at least <see cref="Native.NativeFiber.MinimumStackSizeBytes"/>. Memory is
    /// committed only as it is touched; a stack overflow hits a guard page and aborts the process with a
    /// message naming the fiber.
    /// </summary>
    public int NativeStackSizeBytes { get; init; } = 256 * 1024;

    /// <summary>
    /// True to make reports carry stacks: each blocked fiber in a snapshot (<see cref="FiberHost.Snapshot"/>,
    /// <see cref="Fiber.Snapshot"/>) carries the stack of the call where it blocked, and with
    /// <see cref="LongBlockWarning"/> a fiber handed off in a foreign blocking call reports where it came
    /// back to Thredo. Default false: the stack is captured at every blocking call, a few microseconds each.
    /// </summary>
    public bool CaptureStacks { get; init; }

    /// <summary>The longest time a timer-based setting accepts (about 49 days, <see cref="Timer"/>'s limit).</summary>
    private static readonly TimeSpan MaxTimerSpan = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>Kernels beyond this are a mistake (each is an OS thread and a poller), not a configuration.</summary>
    private const int MaxSchedulers = 1024;

    internal void Validate()
    {
        if (ParkSpinIterations is int spin)
            ArgumentOutOfRangeException.ThrowIfNegative(spin, nameof(ParkSpinIterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(Schedulers, 1, nameof(Schedulers));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Schedulers, MaxSchedulers, nameof(Schedulers));
        ArgumentOutOfRangeException.ThrowIfLessThan(StackSizeBytes, 64 * 1024, nameof(StackSizeBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(NativeStackSizeBytes, Native.NativeFiber.MinimumStackSizeBytes, nameof(NativeStackSizeBytes));
        if (LongBlockWarning is TimeSpan t)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(t, TimeSpan.Zero, nameof(LongBlockWarning));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(t, MaxTimerSpan, nameof(LongBlockWarning));
        }
        if (ForeignBlockHandoff != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ForeignBlockHandoff, TimeSpan.Zero, nameof(ForeignBlockHandoff));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(ForeignBlockHandoff, MaxTimerSpan, nameof(ForeignBlockHandoff));
        }
    }
}

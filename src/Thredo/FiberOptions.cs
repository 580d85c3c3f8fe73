namespace Thredo;

/// <summary>Settings of one <see cref="Fiber.Run(Action, FiberOptions?)"/>.</summary>
public sealed record FiberOptions
{
    /// <summary>Number of kernels (batons), each running its share of the fibers. Default 1; at least 1.</summary>
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

    internal void Validate()
    {
        if (ParkSpinIterations is int spin)
            ArgumentOutOfRangeException.ThrowIfNegative(spin, nameof(ParkSpinIterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(Schedulers, 1, nameof(Schedulers));
        ArgumentOutOfRangeException.ThrowIfLessThan(StackSizeBytes, 64 * 1024, nameof(StackSizeBytes));
        if (LongBlockWarning is TimeSpan t)
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(t, TimeSpan.Zero, nameof(LongBlockWarning));
    }
}

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
    /// How many iterations a fiber's thread spins, waiting to be handed the baton, before it sleeps
    /// in the OS. Default 0: sleep at once. A few hundred to a few thousand make hand-offs between
    /// fibers several times faster on an otherwise idle multi-core machine (the woken thread is
    /// still on its CPU), and slower on a loaded or single-core one (the spin steals the CPU the
    /// other fiber needs). Measure before changing it; see docs/benchmarks.md.
    /// </summary>
    public int ParkSpinIterations { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ParkSpinIterations, nameof(ParkSpinIterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(Schedulers, 1, nameof(Schedulers));
        ArgumentOutOfRangeException.ThrowIfLessThan(StackSizeBytes, 64 * 1024, nameof(StackSizeBytes));
        if (LongBlockWarning is TimeSpan t)
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(t, TimeSpan.Zero, nameof(LongBlockWarning));
    }
}

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

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Schedulers, 1, nameof(Schedulers));
        ArgumentOutOfRangeException.ThrowIfLessThan(StackSizeBytes, 64 * 1024, nameof(StackSizeBytes));
        if (LongBlockWarning is TimeSpan t)
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(t, TimeSpan.Zero, nameof(LongBlockWarning));
    }
}

namespace Thredo;

/// <summary>Where a fiber is in its life.</summary>
public enum FiberState
{
    /// <summary>Spawned, not yet run.</summary>
    Created,
    /// <summary>Runnable, waiting for the baton.</summary>
    Ready,
    /// <summary>Holds the baton and runs.</summary>
    Running,
    /// <summary>Parked in a blocking operation, or off running foreign code in <see cref="Fiber.RunBlocking(Action)"/>.</summary>
    Blocked,
    /// <summary>Ended by returning.</summary>
    Completed,
    /// <summary>Ended by an exception (<see cref="Fiber.Exception"/>).</summary>
    Faulted,
    /// <summary>Ended by its cancellation.</summary>
    Cancelled,
}

namespace Thredo.Kernel;

/// <summary>What a blocked fiber waits for, as the metrics count it.</summary>
internal enum WaitKind
{
    /// <summary>A Thredo primitive: a queue, lock, event, join, task.</summary>
    Primitive,
    /// <summary>A descriptor (socket, pipe, signal, child process).</summary>
    Io,
    /// <summary>A sleep.</summary>
    Timer,
    /// <summary>Foreign code: <c>RunBlocking</c>, or handed off while asleep in a call Thredo does not serve.</summary>
    Foreign,
}

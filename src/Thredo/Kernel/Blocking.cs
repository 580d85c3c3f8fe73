namespace Thredo.Kernel;

/// <summary>Creating and waiting on the right kind of waiter for the calling context.</summary>
internal static class Blocking
{
    /// <summary>
    /// A waiter for the caller: a fiber's, or a plain thread's. A plain thread, or a fiber of another
    /// runtime, marks <paramref name="queue"/> as touched from outside, for the deadlock detector.
    /// <paramref name="description"/> names the operation; <paramref name="source"/> is the primitive,
    /// whose <c>ToString()</c> the deadlock report shows.
    /// </summary>
    internal static Waiter For(WaitQueue queue, string description, object? source = null)
    {
        Fiber? f = Fiber.CurrentOrNull;
        queue.NoteCaller(f);
        Waiter w = f is not null ? new FiberWaiter(f) : new ThreadWaiter();
        w.Description = description;
        w.Source = source;
        return w;
    }

    /// <summary>
    /// Waits until <paramref name="waiter"/> is completed. On a fiber this is a cancellation point:
    /// an interrupt aborts the wait (undoing it) and is thrown here.
    /// </summary>
    internal static void Wait(Waiter waiter)
    {
        if (waiter is FiberWaiter fw)
            fw.Fiber.Park(fw);
        else
            ((ThreadWaiter)waiter).Block();
    }

    /// <summary>Throws a pending cancellation or timeout if the caller is a fiber that has one deliverable.</summary>
    internal static void Checkpoint() => Fiber.CurrentOrNull?.ThrowIfInterrupted();

    /// <summary>Notes the caller of a primitive's operation (see <see cref="WaitQueue.NoteCaller"/>).</summary>
    internal static void NoteCaller(WaitQueue queue) => queue.NoteCaller(Fiber.CurrentOrNull);
}

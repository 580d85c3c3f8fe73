namespace Thredo.Kernel;

/// <summary>Creating and waiting on the right kind of waiter for the calling context.</summary>
internal static class Blocking
{
    /// <summary>
    /// A waiter for the caller: a fiber's, or a plain thread's (which also marks
    /// <paramref name="queue"/> as touched from outside, for the deadlock detector).
    /// <paramref name="description"/> names the operation; <paramref name="source"/> is the primitive,
    /// whose <c>ToString()</c> the deadlock report shows.
    /// </summary>
    internal static Waiter For(WaitQueue queue, string description, object? source = null)
    {
        Waiter w;
        if (Fiber.CurrentOrNull is Fiber f)
            w = new FiberWaiter(f);
        else
        {
            queue.TouchedFromOutside = true;
            w = new ThreadWaiter();
        }
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

    /// <summary>Marks a primitive as used from outside when the caller is not a fiber.</summary>
    internal static void NoteCaller(WaitQueue queue)
    {
        if (!Fiber.IsOnFiber)
            queue.TouchedFromOutside = true;
    }
}

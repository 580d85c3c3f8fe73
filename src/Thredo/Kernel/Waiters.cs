namespace Thredo.Kernel;

/// <summary>A fiber's wait: signalling makes the fiber runnable on its kernel.</summary>
internal class FiberWaiter(Fiber fiber) : Waiter
{
    /// <summary>The waiting fiber.</summary>
    internal Fiber Fiber { get; } = fiber;

    /// <inheritdoc/>
    internal override void Signal() => Fiber.Kernel.WakeParked(Fiber, this);
}

/// <summary>A plain thread's wait: it blocks the thread on a monitor. Plain threads are not cancellable.</summary>
internal sealed class ThreadWaiter : Waiter
{
    private bool _signalled;

    /// <inheritdoc/>
    internal override void Signal()
    {
        lock (this)
        {
            _signalled = true;
            Monitor.Pulse(this);
        }
    }

    /// <summary>Blocks the calling thread until signalled.</summary>
    internal void Block()
    {
        lock (this)
        {
            while (!_signalled)
                Monitor.Wait(this);
        }
    }
}

/// <summary>An async caller's wait, completed through a task; a cancelled token aborts it.</summary>
internal sealed class AsyncWaiter<T> : Waiter
{
    private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationToken _token;
    private CancellationTokenRegistration _registration;

    internal AsyncWaiter(CancellationToken token) => _token = token;

    /// <summary>Completes when the wait does.</summary>
    internal Task<T> Task => _tcs.Task;

    /// <summary>Hooks the token up once the waiter is linked, so an abort finds it to undo.</summary>
    internal void RegisterCancellation()
    {
        if (!_token.CanBeCanceled)
            return;
        _registration = _token.UnsafeRegister(static s => ((Waiter)s!).AbortAndSignal(), this);
        if (IsDone)
            _registration.Dispose();   // completed before we registered: Signal disposed nothing
    }

    /// <inheritdoc/>
    internal override bool CanBeCompletedFromOutside => true;

    /// <inheritdoc/>
    internal override void Signal()
    {
        // Disposing (not unregistering) the registration waits for a running callback to finish first.
        _registration.Dispose();
        if (IsAborted)
            _tcs.TrySetCanceled(_token);
        else
            _tcs.TrySetResult((T)Value!);
    }
}

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

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

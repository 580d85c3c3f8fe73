using System.Diagnostics;

namespace Thredo.Kernel;

/// <summary>
/// One suspended wait: a fiber, a plain thread or an async caller waiting on one thing.
/// </summary>
/// <remarks>
/// Every wait has one undo and one completer. Wake (<see cref="TryComplete"/>) and interrupt
/// (<see cref="TryAbort"/>: cancellation or timeout) race through one compare-exchange on
/// <see cref="_state"/>; only the winner goes on. The winner runs <see cref="Undo"/> (unlink, drop the
/// timer) if it was an abort, then <see cref="Signal"/> outside any primitive lock, because the
/// waiter's continuation may run inline. A wake that loses is simply dropped: the loser's item or
/// permit stays with the primitive, so a cancelled wait leaves no trace.
/// </remarks>
internal abstract class Waiter
{
    private const int Waiting = 0, Completed = 1, Aborted = 2, Completing = 3;

    /// <summary>
    /// 0 waiting, 1 completed by a waker, 2 aborted by an interrupt; 3 while the winning waker stores
    /// <see cref="Value"/>, which counts as not done yet: a fiber that found the wait done before it
    /// parked reads <see cref="Value"/> at once, so the value must be stored before "done" is visible.
    /// </summary>
    private int _state;

    /// <summary>Links of the <see cref="WaitQueue"/> this waiter is in (null when unlinked).</summary>
    internal Waiter? Next, Prev;

    /// <summary>The queue holding this waiter, or null once unlinked.</summary>
    internal WaitQueue? Queue;

    /// <summary>The value a completer handed over (an item, a result), if any.</summary>
    internal object? Value;

    /// <summary>The operation waiting ("Get", "Acquire", ...), for the deadlock report.</summary>
    internal string? Description;

    /// <summary>The primitive waited on; its <c>ToString()</c> (state and waiter count) is read when a report is made.</summary>
    internal object? Source;

    /// <summary>What this waiter waits on, in words, for snapshots and the deadlock report.</summary>
    internal virtual string Describe() => Source switch
    {
        null => Description ?? "?",
        Fiber f => $"{Description} of fiber {f.Id} '{f.Name}'",
        _ => $"{Description} on {Source}",
    };

    /// <summary>True once a completer (with its value stored) or an interrupt has won.</summary>
    internal bool IsDone => Volatile.Read(ref _state) is Completed or Aborted;

    /// <summary>True if an interrupt won.</summary>
    internal bool IsAborted => Volatile.Read(ref _state) == Aborted;

    /// <summary>Claims the wait for a completer, who must then call <see cref="Signal"/> outside its lock.</summary>
    internal bool TryComplete(object? value = null)
    {
        if (Interlocked.CompareExchange(ref _state, Completing, Waiting) != Waiting)
            return false;
        Value = value;
        Volatile.Write(ref _state, Completed);
        return true;
    }

    /// <summary>Claims the wait for an interrupt. On success the caller runs <see cref="Undo"/> then <see cref="Signal"/>.</summary>
    internal bool TryAbort() => Interlocked.CompareExchange(ref _state, Aborted, Waiting) == Waiting;

    /// <summary>Removes every trace of the wait from what it waited on. Idempotent.</summary>
    internal virtual void Undo() => Queue?.Remove(this);

    /// <summary>Lets the owner run again. Called exactly once, by the party that won the state.</summary>
    internal abstract void Signal();

    /// <summary>What kind of thing this waits for (metrics).</summary>
    internal virtual WaitKind Kind => WaitKind.Primitive;

    /// <summary>Whether a plain thread or async code could complete this wait (so it is no deadlock).</summary>
    internal virtual bool CanBeCompletedFromOutside => Queue?.TouchedFromOutside ?? false;

    /// <summary>Aborts the wait if it is still pending: undo, then signal. Returns whether it did.</summary>
    internal bool AbortAndSignal()
    {
        if (!TryAbort())
            return false;
        Undo();
        Signal();
        return true;
    }

    [Conditional("DEBUG")]
    internal void AssertUnlinked() => Debug.Assert(Queue is null && Next is null && Prev is null, "waiter still linked");
}

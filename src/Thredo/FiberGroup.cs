using System.Diagnostics;
using System.Runtime.InteropServices;
using Thredo.Kernel;

namespace Thredo;

/// <summary>
/// Fibers spawned and joined together under a <see cref="GroupWait"/> policy. A member that fails
/// cancels the others at once, and <see cref="Join"/> then throws <see cref="FiberGroupException"/>
/// holding every failure. Disposing the group never leaves a member running. As thredo's
/// <c>ThreadGroup</c>: members can be taken in completion order (<see cref="NextDone"/>,
/// <see cref="NextResult"/>), and daemon members run beside the others without being waited for.
/// </summary>
/// <remarks>Use it from the fibers of one <see cref="Fiber.Run(Action, FiberOptions?)"/>; typically <c>using var g = new FiberGroup(...)</c>.</remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class FiberGroup : IDisposable
{
    private readonly Lock _lock = new();
    private readonly GroupWait _wait;
    private readonly List<Fiber> _members = [];         // every member spawned but daemons (under _lock)
    private readonly List<Fiber> _daemons = [];         // daemon members: never waited for, cancelled at the end
    private readonly Queue<Fiber> _ended = new();       // ended members Join has not looked at yet
    private readonly WaitQueue _waiters;                // Join waiting for the next member to end
    private readonly List<Exception> _failures = [];    // members that faulted
    private int _endedCount;                            // members ended so far
    private bool _cancelling;                           // the group is cancelling its members
    private bool _joined;                               // Join has run to the end
    private Fiber? _completed;
    private readonly Fiber? _owner;                     // the fiber that created the group
    private readonly Fiber.InterruptMark _ownerMark;    // its interrupt state at creation
    private readonly IntPtr _exceptionAtCreation;       // the exception being handled then, if any (Marshal.GetExceptionPointers)

    /// <summary>Creates an empty group.</summary>
    /// <param name="wait">The policy <see cref="Join"/> applies.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is not a <see cref="GroupWait"/> value.</exception>
    public FiberGroup(GroupWait wait = GroupWait.All)
    {
        if (!Enum.IsDefined(wait))
            throw new ArgumentOutOfRangeException(nameof(wait), wait, "Use one of the GroupWait values.");
        _wait = wait;
        _waiters = new WaitQueue(_lock);
        _owner = Fiber.CurrentOrNull;
        _ownerMark = _owner?.MarkInterrupts() ?? default;
        _exceptionAtCreation = Marshal.GetExceptionPointers();
    }

    /// <summary>Starts <paramref name="body"/> as a member.</summary>
    /// <param name="body">The member's body.</param>
    /// <param name="name">A name for diagnostics; null for <c>fiber-{Id}</c>.</param>
    /// <returns>The member's handle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber, or the group was joined or disposed, or is cancelling its members (one failed, a winner was found, or <see cref="Cancel"/> was called).</exception>
    public Fiber Spawn(Action body, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Add(() => Fiber.SpawnCore(body, name, this), daemon: false);
    }

    /// <summary>
    /// Starts <paramref name="body"/> as a member; a daemon member (a background helper: a heartbeat, a
    /// cache refresher) is not waited for by <see cref="Join"/> and not seen by <see cref="NextDone"/>;
    /// when the group ends it is cancelled, and its end is not reported. Its failure is reported on
    /// stderr and does not fail the group.
    /// </summary>
    /// <param name="body">The member's body.</param>
    /// <param name="name">A name for diagnostics; null for <c>fiber-{Id}</c>.</param>
    /// <param name="daemon">True for a daemon member.</param>
    /// <returns>The member's handle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber, or the group was joined or disposed, or is cancelling its members (one failed, a winner was found, or <see cref="Cancel"/> was called).</exception>
    public Fiber Spawn(Action body, string? name, bool daemon)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Add(() => Fiber.SpawnCore(body, name, this), daemon);
    }

    /// <summary>Starts <paramref name="body"/> as a member with a result.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The member's body.</param>
    /// <param name="name">A name for diagnostics; null for <c>fiber-{Id}</c>.</param>
    /// <returns>The member's handle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber, or the group was joined or disposed, or is cancelling its members (one failed, a winner was found, or <see cref="Cancel"/> was called).</exception>
    public Fiber<T> Spawn<T>(Func<T> body, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Add(() => Fiber.SpawnCore(body, name, this), daemon: false);
    }

    private TFiber Add<TFiber>(Func<TFiber> spawn, bool daemon) where TFiber : Fiber
    {
        lock (_lock)
        {
            if (_joined || _cancelling)
                throw new InvalidOperationException("This FiberGroup has been joined, cancelled or disposed; start a new group.");
            // Spawning under the lock keeps the member list ahead of OnMemberEnded even on another kernel.
            TFiber fiber = spawn();
            (daemon ? _daemons : _members).Add(fiber);
            return fiber;
        }
    }

    /// <summary>The winner for <see cref="GroupWait.Any"/> and <see cref="GroupWait.Object"/> once joined; otherwise null.</summary>
    public Fiber? Completed => _completed;

    /// <summary>The winner's result (null for a fiber without one, or when there is no winner).</summary>
    public object? Result => (_completed as IBoxedResult)?.BoxedResult;

    /// <summary>A snapshot of the members (daemons not included), in spawn order.</summary>
    public IReadOnlyList<Fiber> Fibers
    {
        get
        {
            lock (_lock)
                return [.. _members];
        }
    }

    /// <summary>Every member's result in spawn order (null for a member without one, or that failed or was cancelled); daemons not included. Never blocks.</summary>
    /// <exception cref="InvalidOperationException">The group has not been joined yet.</exception>
    public IReadOnlyList<object?> Results
    {
        get
        {
            lock (_lock)
            {
                if (!_joined)
                    throw new InvalidOperationException("Results are known once the group is joined: call Join first.");
                return [.. _members.Select(m => m.State == FiberState.Completed ? (m as IBoxedResult)?.BoxedResult : null)];
            }
        }
    }

    /// <summary>The exceptions of the members that failed so far, in the order they ended (cancellations and daemons not included). A snapshot; never blocks.</summary>
    public IReadOnlyList<Exception> Exceptions
    {
        get
        {
            lock (_lock)
                return [.. _failures];
        }
    }

    /// <summary>
    /// Waits for the next member to end and returns it, in completion order; null once every member
    /// has been returned (by this or by <see cref="Join"/>, which share the order). Daemon members are
    /// never returned. A cancellation point: a cancellation or expired timeout pending on entry is
    /// delivered at once, one deferred by <see cref="Fiber.DisableCancellation"/> waits for the scope's
    /// end, and an interrupted call takes no member (the next call returns it).
    /// </summary>
    /// <remarks>
    /// Any fiber may call it, not only the group's owner, and a plain thread too (it blocks the thread):
    /// callers share one completion order, and each ended member is returned to exactly one of them.
    /// </remarks>
    /// <returns>The member, or null when no member is left to return.</returns>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the calling fiber expired before or while waiting.</exception>
    public Fiber? NextDone() => NextEnded();

    /// <summary>
    /// <see cref="NextDone"/>, returning the member's result (null for a member without one, and when no
    /// member is left). A cancellation point, as <see cref="NextDone"/>; any fiber or thread may call it.
    /// </summary>
    /// <returns>The result of the next member to end; null for a member without a result, or when no member is left.</returns>
    /// <exception cref="FiberFailedException">
    /// The member failed (the inner exception is its exception) or was cancelled (the inner exception is a
    /// <see cref="FiberCancelledException"/>); it counts as returned, and the next call moves on.
    /// </exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the calling fiber expired before or while waiting.</exception>
    public object? NextResult()
    {
        if (NextEnded() is not Fiber f)
            return null;
        if (f.State != FiberState.Completed)
            throw new FiberFailedException(f, f.Exception ?? new FiberCancelledException(f));
        return (f as IBoxedResult)?.BoxedResult;
    }

    /// <summary>
    /// Cancels every member still running (daemons too) and waits until they have ended; they stay
    /// in the completion order for <see cref="NextDone"/>. The group stays usable: new members may be
    /// spawned. A cancellation point while it waits: if the caller is interrupted, the members it
    /// cancelled still end (their cancellation was requested) but it no longer waits for them. Calling it
    /// when nothing runs does nothing.
    /// </summary>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the calling fiber expired while waiting.</exception>
    public void CancelRemaining()
    {
        Fiber[] running;
        lock (_lock)
            running = [.. _members.Concat(_daemons).Where(m => !m.IsCompleted)];
        foreach (Fiber m in running)
            m.RequestCancel();
        foreach (Fiber m in running)
            m.Wait();
    }

    /// <summary>
    /// Waits as the policy says. <see cref="GroupWait.All"/>: every member. <see cref="GroupWait.Any"/>:
    /// the first member to complete, then cancels the rest. <see cref="GroupWait.Object"/>: the first
    /// member to complete with a non-null result, then cancels the rest. <see cref="GroupWait.None"/>:
    /// cancels every member still running. In every case Join returns only once every member has ended.
    /// A cancellation point; if the caller is cancelled while joining, the members are cancelled too.
    /// </summary>
    /// <exception cref="FiberGroupException">One or more members faulted (the others were cancelled); it holds every failure.</exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled while joining.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the calling fiber expired while joining.</exception>
    public void Join()
    {
        try
        {
            if (_wait == GroupWait.None)
                RequestCancelAll();
            while (NextEnded() is Fiber f)
            {
                if (_completed is null && IsWinner(f))
                {
                    _completed = f;
                    RequestCancelAll();
                }
            }
        }
        catch (OperationCanceledException)
        {
            Cancel();
            throw;
        }
        EndDaemons();
        lock (_lock)
            _joined = true;
        ThrowIfFailed();
    }

    private bool IsWinner(Fiber f) => f.State == FiberState.Completed && _wait switch
    {
        GroupWait.Any => true,
        GroupWait.Object => f is IBoxedResult r && r.BoxedResult is not null,
        _ => false,
    };

    /// <summary>Cancels every member and waits until all have ended. Idempotent. Waits with cancellation deferred.</summary>
    public void Cancel()
    {
        RequestCancelAll();
        using (Fiber.IsOnFiber ? Fiber.DisableCancellation() : null)
            while (NextEnded() is not null) { }
        EndDaemons();
    }

    /// <summary>
    /// Ends the group. If it was not joined, applies the policy as <see cref="Join"/> would (for
    /// <see cref="GroupWait.None"/>: cancels every member). If an exception is unwinding through the
    /// <c>using</c> block, or a cancellation of the caller (or the expiry of a timeout enclosing the
    /// group) has been delivered since the group was created, it cancels the members instead, waits for
    /// them, and lets that exception go on. Never leaves a member running.
    /// </summary>
    /// <exception cref="FiberGroupException">The group was not joined and members faulted.</exception>
    public void Dispose()
    {
        bool joined;
        lock (_lock)
            joined = _joined;
        if (joined)
            return;
        // A cancellation of the owner delivered since the group began, or the expiry of a timeout scope
        // that encloses the group, is in force here: waiting for members by the policy would outlive
        // it, so cancel them. An interrupt handled inside the group's scope (IgnoreAfter, a caught
        // TimeoutAfter in a retry loop) ended with its own scope and does not count.
        // Likewise any exception unwinding through the using block: it must win, not wait on the
        // members or be replaced by their failures.
        if (Marshal.GetExceptionPointers() != _exceptionAtCreation || (_owner is not null && _owner.IsInterruptInForce(_ownerMark)))
            Cancel();
        else
            Join();
    }

    /// <summary>A member ended: queue it for Join, and on a failure cancel the others. Member's thread.</summary>
    internal void OnMemberEnded(Fiber member)
    {
        Waiter? w;
        bool failed = member.State == FiberState.Faulted;
        lock (_lock)
        {
            if (_daemons.Contains(member))
            {
                if (failed)
                    member.Runtime.Report(DiagnosticKind.Failure, $"Thredo: daemon fiber {member.Id} '{member.Name}' of a group failed:{Environment.NewLine}{member.Exception}");
                return;
            }
            _ended.Enqueue(member);
            _endedCount++;
            if (failed)
                _failures.Add(member.Exception!);
            w = _waiters.CompleteFirst();
        }
        w?.Signal();
        if (failed)
            RequestCancelAll();
    }

    /// <summary>The next ended member Join has not seen, waiting for one; null once every member has been seen.</summary>
    private Fiber? NextEnded()
    {
        Blocking.Checkpoint();
        while (true)
        {
            Waiter w;
            lock (_lock)
            {
                if (_ended.TryDequeue(out Fiber? f))
                    return f;
                if (_endedCount == _members.Count)
                    return null;
                w = Blocking.For(_waiters, "Join", this);
                _waiters.Enqueue(w);
            }
            Blocking.Wait(w);
        }
    }

    /// <summary>Requests cancellation of every member, daemons included, and refuses new ones.</summary>
    private void RequestCancelAll()
    {
        Fiber[] members;
        lock (_lock)
        {
            _cancelling = true;
            members = [.. _members, .. _daemons];
        }
        foreach (Fiber m in members)
            m.RequestCancel();
    }

    /// <summary>The group ends: its daemons are cancelled and waited for, silently, with cancellation deferred.</summary>
    private void EndDaemons()
    {
        Fiber[] daemons;
        lock (_lock)
            daemons = [.. _daemons];
        foreach (Fiber d in daemons)
            d.RequestCancel();
        using (Fiber.IsOnFiber ? Fiber.DisableCancellation() : null)
            foreach (Fiber d in daemons)
                d.Wait();
    }

    private void ThrowIfFailed()
    {
        Exception[] failures;
        lock (_lock)
            failures = [.. _failures];
        if (failures.Length > 0)
            throw new FiberGroupException($"{failures.Length} fiber(s) of the group failed; the others were cancelled.", failures);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        lock (_lock)
            return $"FiberGroup({_wait}): {_members.Count - _endedCount} of {_members.Count} running";
    }
}

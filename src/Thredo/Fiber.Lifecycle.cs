using Thredo.Kernel;

namespace Thredo;

public partial class Fiber
{
    private readonly Lock _completionLock = new();
    private WaitQueue? _joiners;                     // fibers and threads in Join / Wait, made by the first (under _completionLock)
    private TaskCompletionSource? _completionTask;   // JoinAsync, created on demand (under _completionLock)
    private volatile object? _finalBox;              // boxed final FiberState once ended
    private Exception? _exception;

    /// <summary>Told of the fiber's end, after its joiners (FiberHost.RunAsync's task); set before it is queued. Its failure then counts as observed.</summary>
    internal Action<Fiber>? OnEnded;

    private FiberState? FinalState => _finalBox is FiberState s ? s : null;

    private WaitQueue Joiners => _joiners ??= new WaitQueue(_completionLock);   // under _completionLock

    /// <summary>
    /// Runs <paramref name="main"/> as the first fiber of a new kernel on the calling thread and returns
    /// when it and every fiber it spawned have ended. Fibers still running when <paramref name="main"/>
    /// ends are cancelled, and their cleanup runs, before this returns.
    /// </summary>
    /// <param name="main">The main fiber's body.</param>
    /// <param name="options">Kernel settings; null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="main"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller is itself a fiber (use <see cref="Spawn(Action, string?)"/>).</exception>
    /// <exception cref="FiberFailedException"><paramref name="main"/> threw; the cause is the inner exception.</exception>
    /// <exception cref="FiberDeadlockException">Every fiber waited on something nothing could satisfy.</exception>
    public static void Run(Action main, FiberOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        RunMain((rt, k) => new Fiber(main, "main", rt, k, null), options);
    }

    /// <summary>
    /// Runs <paramref name="main"/> as the first fiber of a new kernel and returns its result once it and
    /// every fiber it spawned have ended (see <see cref="Run(Action, FiberOptions?)"/>).
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="main">The main fiber's body.</param>
    /// <param name="options">Kernel settings; null for the defaults.</param>
    /// <returns>What <paramref name="main"/> returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="main"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller is itself a fiber.</exception>
    /// <exception cref="FiberFailedException"><paramref name="main"/> threw; the cause is the inner exception.</exception>
    /// <exception cref="FiberDeadlockException">Every fiber waited on something nothing could satisfy.</exception>
    public static T Run<T>(Func<T> main, FiberOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        return ((Fiber<T>)RunMain((rt, k) => new Fiber<T>(main, "main", rt, k, null), options)).Result;
    }

    private static Fiber RunMain(Func<FiberRuntime, Kernel.Kernel, Fiber> construct, FiberOptions? options)
    {
        if (IsOnFiber)
            throw new InvalidOperationException("Fiber.Run was called from a fiber. A fiber starts other fibers with Fiber.Spawn or a FiberGroup.");
        options ??= new FiberOptions();
        options.Validate();
        using var runtime = new FiberRuntime(options);
        Fiber fiber = Create(runtime, k => construct(runtime, k), isMain: true);
        runtime.RunKernels();
        if (runtime.Deadlock is FiberDeadlockException deadlock)
            throw deadlock;
        if (fiber._exception is Exception e)
            throw new FiberFailedException(fiber, e);
        return fiber;
    }

    /// <summary>Every live fiber of the caller's runtime (its <c>Fiber.Run</c> or <see cref="FiberHost"/>), in id order: what each waits on, and for how long.</summary>
    /// <returns>A copy, the caller included (as Running).</returns>
    /// <exception cref="InvalidOperationException">The caller is not a fiber (a host's owner uses <see cref="FiberHost.Snapshot"/>).</exception>
    public static IReadOnlyList<FiberInfo> Snapshot() => (t_self ?? throw new InvalidOperationException(
        "Fiber.Snapshot was called off a fiber. Call it from a fiber, or use FiberHost.Snapshot() on a host.")).Runtime.Snapshot();

    /// <summary>
    /// Starts <paramref name="body"/> as a new fiber of the caller's kernel. It runs when the caller (or a
    /// later fiber) blocks or yields.
    /// </summary>
    /// <param name="body">The fiber's body.</param>
    /// <param name="name">A name for diagnostics and deadlock reports; null for <c>fiber-{Id}</c>.</param>
    /// <returns>The new fiber's handle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber (start with <see cref="Run(Action, FiberOptions?)"/>).</exception>
    public static Fiber Spawn(Action body, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnCore(body, name, null);
    }

    internal static Fiber SpawnCore(Action body, string? name, FiberGroup? group) =>
        Spawn(group, (rt, k) => new Fiber(body, name, rt, k, group));

    internal static Fiber<T> SpawnCore<T>(Func<T> body, string? name, FiberGroup? group) =>
        (Fiber<T>)Spawn(group, (rt, k) => new Fiber<T>(body, name, rt, k, group));

    /// <summary>Starts <paramref name="body"/> as a new fiber whose result <see cref="Fiber{T}.Join"/> returns.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The fiber's body.</param>
    /// <param name="name">A name for diagnostics; null for <c>fiber-{Id}</c>.</param>
    /// <returns>The new fiber's handle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    public static Fiber<T> Spawn<T>(Func<T> body, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnCore(body, name, null);
    }

    private static Fiber Spawn(FiberGroup? group, Func<FiberRuntime, Kernel.Kernel, Fiber> construct)
    {
        Fiber parent = t_current ?? throw new InvalidOperationException(
            group is null ? "Fibers are spawned from a fiber. Start the first one with Fiber.Run(main)."
                          : "A FiberGroup spawns from a fiber. Create and use it inside Fiber.Run.");
        FiberRuntime runtime = parent.Runtime;
        return Create(runtime, k => construct(runtime, k));
    }

    /// <summary>
    /// Makes a new fiber and queues it on the kernel it is placed on. It is only a queue entry: a thread
    /// is bound to it when it is first dispatched (see <c>Kernel.Dispatch</c>).
    /// </summary>
    internal static Fiber Create(FiberRuntime runtime, Func<Kernel.Kernel, Fiber> construct, bool isMain = false)
    {
        Kernel.Kernel kernel = runtime.Place(t_current);
        Fiber fiber = construct(kernel);
        if (isMain)
            runtime.Main = fiber;   // before it can run: its end must be recognised as main's
        kernel.Spawn(fiber);
        if (runtime.IsStopping)
            fiber.RequestCancel();   // spawned by a fiber of a stopping host: it stops with the rest
        return fiber;
    }

    /// <summary>Records the outcome, wakes joiners and leaves the runtime; the caller still holds the baton.</summary>
    internal void Finish(Exception? failure)
    {
        FiberState final = failure switch
        {
            null => FiberState.Completed,
            FiberCancelledException when _cancelDelivered => FiberState.Cancelled,
            _ => FiberState.Faulted,
        };
        List<Waiter>? joiners;
        TaskCompletionSource? tcs;
        lock (_completionLock)
        {
            _exception = failure;
            _finalBox = final;
            joiners = _joiners is { Count: > 0 } q ? q.CompleteAll() : null;   // most fibers end with no joiner waiting
            tcs = _completionTask;
        }
        if (final == FiberState.Faulted && joiners is not { Count: > 0 } && Group is null && this != Runtime.Main && OnEnded is null)
            ReportUnjoinedFailure(failure!);
        if (joiners is not null)
            foreach (Waiter w in joiners)
                w.Signal();
        if (failure is null) tcs?.TrySetResult(); else tcs?.TrySetException(new FiberFailedException(this, failure));
        OnEnded?.Invoke(this);
        Group?.OnMemberEnded(this);
        if (this == Runtime.Main)
            Runtime.OnMainEnded();
        Kernel.EndLive(this, final);
    }

    private void ReportUnjoinedFailure(Exception failure) =>
        Runtime.Report(DiagnosticKind.Failure, $"Thredo: fiber {Id} '{Name}' failed and nobody is joining it:{Environment.NewLine}{failure}");

    /// <summary>Queues <paramref name="waiter"/> to be completed when this fiber ends; false if it has already ended.</summary>
    internal bool TryAddJoiner(Waiter waiter)
    {
        lock (_completionLock)
        {
            if (_finalBox is not null)
                return false;
            Joiners.Enqueue(waiter);
            return true;
        }
    }

    /// <summary>
    /// Waits until the fiber has ended. A cancellation point for a calling fiber. From a plain thread it
    /// blocks the thread.
    /// </summary>
    /// <exception cref="FiberFailedException">The fiber faulted or was cancelled; <see cref="Exception.InnerException"/> says why.</exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled while waiting (the joined fiber goes on).</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the calling fiber expired while waiting.</exception>
    /// <exception cref="InvalidOperationException">A fiber tried to join itself.</exception>
    public void Join()
    {
        Wait();
        if (_exception is Exception e)
            throw new FiberFailedException(this, e);
    }

    /// <summary>
    /// Waits until the fiber has ended, whatever the outcome: unlike <see cref="Join"/> it never throws for
    /// the fiber's own failure. A cancellation point for a calling fiber.
    /// </summary>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout of the calling fiber expired while waiting.</exception>
    /// <exception cref="InvalidOperationException">A fiber tried to wait for itself.</exception>
    public void Wait()
    {
        if (t_self == this)
            throw new InvalidOperationException($"Fiber {Id} '{Name}' cannot wait for itself to end.");
        Blocking.Checkpoint();
        Waiter w;
        lock (_completionLock)
        {
            if (_finalBox is not null)
                return;
            w = Blocking.For(Joiners, "Join", this);
            Joiners.Enqueue(w);
        }
        Blocking.Wait(w);
    }

    /// <summary>
    /// Requests cancellation, then waits until the fiber has ended. Idempotent. The fiber sees a
    /// <see cref="FiberCancelledException"/> at its next blocking operation (at once if it is blocked
    /// now; at the end of a <see cref="DisableCancellation"/> scope if it deferred it). A fiber
    /// cancelling itself only requests: it cannot wait for its own end.
    /// </summary>
    /// <exception cref="FiberCancelledException">The calling fiber was itself cancelled while waiting.</exception>
    public void Cancel() => Cancel(wait: true);

    /// <summary>Requests cancellation (see <see cref="Cancel()"/>) and, if <paramref name="wait"/>, waits for the fiber to end.</summary>
    /// <param name="wait">True to wait until the fiber has ended; false to return at once.</param>
    /// <returns>True if the fiber has ended when this returns; false if it is still running.</returns>
    /// <exception cref="FiberCancelledException">The calling fiber was itself cancelled while waiting.</exception>
    public bool Cancel(bool wait)
    {
        RequestCancel();
        if (wait && t_self != this)
            Wait();
        return IsCompleted;
    }

    /// <summary>
    /// For async callers: a task that completes when the fiber has ended, and faults with
    /// <see cref="FiberFailedException"/> if it faulted or was cancelled, as <see cref="Join"/> throws.
    /// </summary>
    /// <returns>The task.</returns>
    public Task JoinAsync()
    {
        lock (_completionLock)
        {
            if (_finalBox is not null)
                return _exception is Exception e ? Task.FromException(new FiberFailedException(this, e)) : Task.CompletedTask;
            _completionTask ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _completionTask.Task;
        }
    }
}

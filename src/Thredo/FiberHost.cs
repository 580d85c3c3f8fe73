using System.Diagnostics;
using Thredo.Kernel;

namespace Thredo;

/// <summary>
/// A long-lived Thredo runtime for applications that are services: its kernels run on threads of their
/// own from <see cref="Start(FiberOptions?)"/> until <see cref="StopAsync"/>, and any thread (a plain thread, async
/// code, a fiber of another runtime) hands it work with <see cref="Spawn(Action, string?)"/> or
/// <see cref="RunAsync(Action, CancellationToken)"/>.
/// </summary>
/// <remarks>
/// Unlike <see cref="Fiber.Run(Action, FiberOptions?)"/>, a host does not end when its fibers do, and it
/// reports no deadlocks: outside code may always spawn or feed a fiber, so a fiber waiting on a queue is
/// not stuck. <see cref="Snapshot"/> shows what every fiber waits on instead.
/// </remarks>
public sealed class FiberHost : IDisposable, IAsyncDisposable
{
    /// <summary>The grace period of <see cref="Dispose"/> and <see cref="DisposeAsync"/>.</summary>
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromSeconds(5);

    private readonly FiberRuntime _runtime;
    private readonly string _name;
    private readonly Lock _stopLock = new();
    private Task? _stop;   // the first stop; every later stop waits for it (under _stopLock)
    private static int s_hosts;

    private FiberHost(FiberRuntime runtime)
    {
        _runtime = runtime;
        _name = $"FiberHost #{Interlocked.Increment(ref s_hosts)}";
    }

    /// <summary>
    /// Starts a host: <see cref="FiberOptions.Schedulers"/> kernels, each on a thread of its own. Returns at once.
    /// </summary>
    /// <param name="options">Kernel settings; null for the defaults.</param>
    /// <returns>The running host. Stop it with <see cref="StopAsync"/> or dispose it.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range (the parameter name says which).</exception>
    public static FiberHost Start(FiberOptions? options = null) => Start(options, sink: null);

    /// <summary>As <see cref="Start(FiberOptions?)"/>, with the runtime's reports sent to <paramref name="sink"/> (Thredo.Hosting's logger).</summary>
    internal static FiberHost Start(FiberOptions? options, Action<DiagnosticKind, string>? sink)
    {
        options ??= new FiberOptions();
        options.Validate();
        var runtime = new FiberRuntime(options, hosted: true);
        if (sink is not null)
            runtime.Sink = sink;
        runtime.StartKernels();
        return new FiberHost(runtime);
    }

    /// <summary>True once <see cref="StopAsync"/> (or a dispose) has begun: spawning is refused from then on.</summary>
    public bool IsStopping => _runtime.IsStopping;

    /// <summary>
    /// Starts <paramref name="body"/> as a fiber of this host. Any thread may call it. Nobody joins the
    /// fiber unless the caller does: a failure is reported (standard error, or the log when hosted).
    /// </summary>
    /// <param name="body">The fiber's body.</param>
    /// <param name="name">A name for snapshots and reports; null for <c>fiber-{Id}</c>.</param>
    /// <returns>The new fiber's handle (<see cref="Fiber.Join"/> from a fiber or thread, <see cref="Fiber.JoinAsync"/> from async code).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The host is stopping or stopped.</exception>
    public Fiber Spawn(Action body, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SpawnCore(k => new Fiber(body, name, _runtime, k, null), onEnded: null);
    }

    /// <summary>Starts <paramref name="body"/> as a fiber of this host whose result <see cref="Fiber{T}.Join"/> returns (see <see cref="Spawn(Action, string?)"/>).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The fiber's body.</param>
    /// <param name="name">A name for snapshots and reports; null for <c>fiber-{Id}</c>.</param>
    /// <returns>The new fiber's handle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The host is stopping or stopped.</exception>
    public Fiber<T> Spawn<T>(Func<T> body, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return (Fiber<T>)SpawnCore(k => new Fiber<T>(body, name, _runtime, k, null), onEnded: null);
    }

    /// <summary>
    /// Runs <paramref name="body"/> as a fiber and returns a task for its outcome: completed when it
    /// returns, faulted with its exception when it throws, cancelled when it is cancelled (by
    /// <paramref name="cancellationToken"/> or by the host's stop). The token cancels the fiber: it sees
    /// <see cref="FiberCancelledException"/> at its next blocking operation, and the task completes once
    /// its cleanup has run.
    /// </summary>
    /// <param name="body">The fiber's body.</param>
    /// <param name="cancellationToken">Cancels the fiber.</param>
    /// <returns>The fiber's outcome; its continuations run asynchronously, never on the fiber.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The host is stopping or stopped.</exception>
    public Task RunAsync(Action body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return RunAsync<object?>(() => { body(); return null; }, cancellationToken);
    }

    /// <summary>As <see cref="RunAsync(Action, CancellationToken)"/>, for a body with a result.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The fiber's body.</param>
    /// <param name="cancellationToken">Cancels the fiber.</param>
    /// <returns>The fiber's result, exception or cancellation.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The host is stopping or stopped.</exception>
    public Task<T> RunAsync<T>(Func<T> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return RunAsync(body, null, cancellationToken);
    }

    /// <summary>As <see cref="RunAsync{T}(Func{T}, CancellationToken)"/>, with a name for the fiber (fiber services are named after their type).</summary>
    internal Task<T> RunAsync<T>(Func<T> body, string? name, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsStopping, this);
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<T>(cancellationToken);
        var run = new FiberRun<T>(cancellationToken);
        Fiber fiber = SpawnCore(k => new Fiber<T>(body, name, _runtime, k, null), run.OnEnded);
        run.Watch(fiber);
        return run.Task;
    }

    private Fiber SpawnCore(Func<Kernel.Kernel, Fiber> construct, Action<Fiber>? onEnded) =>
        _runtime.TrySpawnFromOutside(k => { Fiber f = construct(k); f.OnEnded = onEnded; return f; })
        ?? throw new ObjectDisposedException(_name, $"{_name} is stopping or stopped: it runs no more fibers. Start a new host to run more.");

    /// <summary>
    /// Stops the host: refuses new fibers, cancels every fiber, and waits up to <paramref name="grace"/>
    /// for them to end (their <c>finally</c> blocks and other cleanup run). Fibers still running then
    /// (a loop that never blocks never sees its cancellation) are abandoned: they are named in a report,
    /// their threads are left as they are (background threads: the process can still exit), and the task
    /// completes. Calling it again waits for the first stop.
    /// </summary>
    /// <param name="grace">How long fibers may take to clean up; <see cref="Timeout.InfiniteTimeSpan"/> to wait for all.</param>
    /// <param name="cancellationToken">Ends the grace period early (as the Generic Host's shutdown timeout does).</param>
    /// <returns>A task that completes when every fiber has ended or the rest were abandoned.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="grace"/> is negative (other than infinite).</exception>
    public Task StopAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (grace != Timeout.InfiniteTimeSpan)
            ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero, nameof(grace));
        lock (_stopLock)
            return _stop ??= StopCoreAsync(grace, cancellationToken);
    }

    private async Task StopCoreAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        _runtime.BeginStop();
        Task ended = _runtime.Ended;
        try
        {
            await ended.WaitAsync(grace, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }
        List<Fiber> left = _runtime.Abandon();
        if (left.Count > 0)
            _runtime.Report(DiagnosticKind.Abandoned,
                $"Thredo: {_name} stopped with {left.Count} fiber(s) still running after the grace period of {grace.TotalSeconds:0.###} s " +
                $"(or when the stop's token fired); they were abandoned. A fiber that never blocks never sees its cancellation, " +
                $"and one in a DisableCancellation scope defers it:{Environment.NewLine}" +
                FiberInfo.FormatTable(_runtime.Snapshot()));
    }

    /// <summary>Every live fiber of this host, in id order: what each waits on, and for how long.</summary>
    /// <returns>A copy; empty once every fiber has ended.</returns>
    public IReadOnlyList<FiberInfo> Snapshot() => _runtime.Snapshot();

    /// <summary>Stops the host with <see cref="DefaultGrace"/> (see <see cref="StopAsync"/>) and waits.</summary>
    public void Dispose()
    {
        Debug.Assert(Fiber.CurrentOrNull?.Runtime != _runtime, "a host's own fiber disposing it waits for itself");
        StopAsync(DefaultGrace).GetAwaiter().GetResult();
    }

    /// <summary>Stops the host with <see cref="DefaultGrace"/> (see <see cref="StopAsync"/>).</summary>
    /// <returns>A task that completes when the host has stopped.</returns>
    public ValueTask DisposeAsync() => new(StopAsync(DefaultGrace));

    /// <inheritdoc/>
    public override string ToString() => $"{_name} ({(IsStopping ? "stopping" : "running")}, {_runtime.LiveCount} fiber(s))";

    /// <summary>The task side of <see cref="RunAsync{T}(Func{T}, CancellationToken)"/>: the fiber's end completes it, the token cancels the fiber.</summary>
    private sealed class FiberRun<T>(CancellationToken token) : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        private CancellationTokenRegistration _registration;

        internal void Watch(Fiber fiber)
        {
            if (!token.CanBeCanceled)
                return;
            _registration = token.Register(static f => ((Fiber)f!).RequestCancel(), fiber);
            if (fiber.IsCompleted)
                _registration.Dispose();   // it ended before the registration: nothing left to cancel
        }

        internal void OnEnded(Fiber fiber)
        {
            _registration.Dispose();   // no-op if Watch has not run yet: then the fiber has ended, and a cancel is harmless
            switch (fiber.State)
            {
                case FiberState.Completed: TrySetResult(((Fiber<T>)fiber).Result); break;
                case FiberState.Cancelled: TrySetCanceled(token.IsCancellationRequested ? token : default); break;
                default: TrySetException(fiber.Exception!); break;
            }
        }
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using Thredo.Fibers;
using Thredo.Kernel;

namespace Thredo.IO;

/// <summary>
/// Receives POSIX signals (SIGINT, SIGTERM, SIGHUP, ...) as a blocking operation: a fiber (or a plain thread)
/// calls <see cref="Wait"/> and wakes when one of the signals arrives. While the event exists, the signals'
/// default actions are suppressed (Ctrl-C no longer ends the process); <see cref="Dispose"/> restores them.
/// </summary>
/// <remarks>
/// <para>
/// Built on <see cref="PosixSignalRegistration"/>, so signals are first seen by a runtime thread, which hands
/// each to the longest waiter, or keeps it pending (up to <see cref="MaxPending"/>; the OS coalesces
/// repeats anyway) for the next <see cref="Wait"/>. Each arrival is consumed by exactly one wait.
/// </para>
/// <para>
/// Signals named by <see cref="PosixSignal"/> work on every Unix; other signals can be given as their raw
/// number cast to <see cref="PosixSignal"/> (on Linux <c>(PosixSignal)10</c> is SIGUSR1). A fiber waiting
/// here is never reported as deadlocked: a signal may always come from outside.
/// </para>
/// <para>
/// A signal this process inherited as ignored (SIG_IGN: a job started with <c>&amp;</c> by a
/// non-interactive shell ignores SIGINT and SIGQUIT; <c>nohup</c> ignores SIGHUP) can never be received:
/// .NET keeps a disposition the parent chose and installs no handler for it. The constructor reads each
/// signal's disposition (Linux): ignored signals are left alone and listed in <see cref="IgnoredSignals"/>,
/// the others are received as usual, and an event all of whose signals are ignored is refused with
/// <see cref="InvalidOperationException"/> rather than made to wait forever.
/// </para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class SignalEvent : IDisposable
{
    /// <summary>How many undelivered arrivals are kept; later ones are dropped until a wait consumes one.</summary>
    public const int MaxPending = 64;

    private readonly Lock _lock = new();
    private readonly WaitQueue _waiters;                // fibers, threads and async callers in Wait (under _lock)
    private readonly Queue<PosixSignal> _pending = new(); // arrivals no wait has consumed yet (under _lock)
    private readonly PosixSignal[] _signals;            // what this event receives
    private PosixSignalRegistration[] _registrations;   // empty once disposed (under _lock)
    private long _received;                             // arrivals so far (under _lock)
    private bool _disposed;                             // under _lock

    /// <summary>Starts receiving <paramref name="signals"/>, suppressing their default actions.</summary>
    /// <param name="signals">At least one signal; repeats are ignored.</param>
    /// <exception cref="ArgumentNullException"><paramref name="signals"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="signals"/> is empty.</exception>
    /// <exception cref="PlatformNotSupportedException">A signal is not supported on this platform.</exception>
    /// <exception cref="IOException">The runtime could not install a handler (for instance SIGKILL or SIGSTOP).</exception>
    /// <exception cref="InvalidOperationException">Every signal in <paramref name="signals"/> is ignored in this process (see <see cref="IgnoredSignals"/>), so the event could never fire; the message says why and what to do.</exception>
    public SignalEvent(params PosixSignal[] signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        if (signals.Length == 0)
            throw new ArgumentException("Give at least one signal to wait for.", nameof(signals));
        _signals = [.. signals.Distinct()];
        IgnoredSignals = [.. _signals.Where(SignalDisposition.IsIgnored)];
        if (IgnoredSignals.Count == _signals.Length)
            throw AllIgnored(_signals);
        // Signals come from outside the fiber world: never count a waiter here as stuck.
        _waiters = new WaitQueue(_lock) { TouchedFromOutside = true };
        var registrations = new List<PosixSignalRegistration>();
        try
        {
            foreach (PosixSignal signal in _signals.Except(IgnoredSignals))
                registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
        catch
        {
            foreach (PosixSignalRegistration r in registrations)
                r.Dispose();
            throw;
        }
        _registrations = [.. registrations];
    }

    /// <summary>The signals given to the constructor, repeats removed (ignored ones included).</summary>
    public IReadOnlyList<PosixSignal> Signals => _signals;

    /// <summary>
    /// The signals of <see cref="Signals"/> that were ignored in this process (SIG_IGN, usually inherited
    /// from the parent) when the event was created: they never arrive here, and their disposition is left
    /// as it was. Empty when every signal can arrive (and always off Linux, where it is not read). Fixed
    /// for the event's life.
    /// </summary>
    public IReadOnlyList<PosixSignal> IgnoredSignals { get; }

    /// <summary>How many signals have arrived since the event was created (consumed or not). A snapshot.</summary>
    public long Received
    {
        get { lock (_lock) return _received; }
    }

    /// <summary>How many arrivals wait to be consumed by a <see cref="Wait"/>. A snapshot.</summary>
    public int Pending
    {
        get { lock (_lock) return _pending.Count; }
    }

    /// <summary>
    /// Blocks until one of the signals arrives and consumes that arrival; returns at once if one is pending.
    /// A cancellation point for a fiber: a cancellation or timeout pending on entry is thrown even if a
    /// signal is pending (which then stays pending); one arriving while waiting ends the wait and consumes
    /// nothing; one deferred by <see cref="Fiber.DisableCancellation"/> is not delivered here; one arriving
    /// after a signal was handed over is delivered at the next blocking operation (the signal counts as
    /// received). A plain thread blocks (uninterruptibly).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The event was disposed before or during the wait.</exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting.</exception>
    public void Wait() => Receive();

    /// <summary>Like <see cref="Wait"/>, and says which signal arrived.</summary>
    /// <returns>The signal consumed, as given to the constructor (a raw number cast to <see cref="PosixSignal"/> stays so).</returns>
    /// <exception cref="ObjectDisposedException">The event was disposed before or during the wait.</exception>
    /// <exception cref="FiberCancelledException">The calling fiber was cancelled before or while waiting.</exception>
    /// <exception cref="FiberTimeoutException">A timeout scope of the calling fiber expired before or while waiting.</exception>
    public PosixSignal Receive()
    {
        Blocking.Checkpoint();
        Waiter w;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pending.TryDequeue(out PosixSignal signal))
                return signal;
            w = Blocking.For(_waiters, "Wait", this);
            _waiters.Enqueue(w);
        }
        Blocking.Wait(w);
        return Result(w.Value);
    }

    /// <summary>Consumes a pending arrival if there is one. Never blocks; not a cancellation point.</summary>
    /// <param name="signal">The signal consumed, or default.</param>
    /// <returns>True if an arrival was pending.</returns>
    /// <exception cref="ObjectDisposedException">The event was disposed.</exception>
    public bool TryReceive(out PosixSignal signal)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _pending.TryDequeue(out signal);
        }
    }

    /// <summary>Waits asynchronously for one of the signals (see <see cref="Receive"/>).</summary>
    /// <param name="cancellationToken">Ends the wait early (the task is then cancelled and consumes nothing).</param>
    /// <returns>A task completing with the signal consumed, or faulting with <see cref="ObjectDisposedException"/> if the event is disposed first.</returns>
    public Task<PosixSignal> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var w = new AsyncWaiter<object?>(cancellationToken) { Description = "ReceiveAsync", Source = this };
        lock (_lock)
        {
            if (_disposed)
                return Task.FromException<PosixSignal>(new ObjectDisposedException(nameof(SignalEvent)));
            if (_pending.TryDequeue(out PosixSignal signal))
                return Task.FromResult(signal);
            _waiters.Enqueue(w);
        }
        w.RegisterCancellation();
        return Convert(w.Task);

        static async Task<PosixSignal> Convert(Task<object?> task) => Result(await task.ConfigureAwait(false));
    }

    /// <summary>
    /// Stops receiving: unregisters the handlers (the default actions apply again) and ends every wait in
    /// progress with <see cref="ObjectDisposedException"/>. Idempotent.
    /// </summary>
    public void Dispose()
    {
        PosixSignalRegistration[] registrations;
        List<Waiter> released;
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            registrations = _registrations;
            _registrations = [];
            _pending.Clear();
            released = [];
            while (_waiters.CompleteFirst(Disposed.Instance) is Waiter w)
                released.Add(w);
        }
        // Disposing a registration waits for a handler running on it to return; never under _lock.
        foreach (PosixSignalRegistration r in registrations)
            r.Dispose();
        foreach (Waiter w in released)
            w.Signal();
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        lock (_lock)
            return $"SignalEvent({string.Join(", ", _signals)}{(IgnoredSignals.Count > 0 ? $" ({string.Join(", ", IgnoredSignals)} ignored)" : "")}; {_received} received, {_pending.Count} pending, {_waiters.Count} waiting{(_disposed ? ", disposed" : "")})";
    }

    /// <summary>
    /// The handler, on a runtime thread: suppress the default action, then hand the signal to the longest
    /// waiter, completing it outside the lock (its continuation may run inline), or keep it pending.
    /// </summary>
    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Waiter? woken;
        lock (_lock)
        {
            if (_disposed)
                return;
            _received++;
            woken = _waiters.CompleteFirst(context.Signal);
            if (woken is null && _pending.Count < MaxPending)
                _pending.Enqueue(context.Signal);
        }
        woken?.Signal();
    }

    private static InvalidOperationException AllIgnored(PosixSignal[] signals) => new(
        $"{string.Join(" and ", signals)} {(signals.Length == 1 ? "is" : "are")} ignored in this process (SIG_IGN, inherited from its parent: " +
        "a job started with '&' by a non-interactive shell ignores SIGINT and SIGQUIT, nohup ignores SIGHUP). " +
        ".NET installs no handler for an ignored signal, so this SignalEvent could never fire. Wait for a signal " +
        "that is not ignored as well (SIGTERM), or start the process with the default disposition (in a shell: trap - INT).");

    private static PosixSignal Result(object? value) => value is PosixSignal signal
        ? signal
        : throw new ObjectDisposedException(nameof(SignalEvent), "The SignalEvent was disposed while waiting.");

    /// <summary>The value a wait completes with when the event is disposed under it.</summary>
    private sealed class Disposed
    {
        internal static readonly Disposed Instance = new();
    }
}

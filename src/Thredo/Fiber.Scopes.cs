using Thredo.Kernel;

namespace Thredo;

public partial class Fiber
{
    /// <summary>
    /// Puts the calling fiber under a deadline until the returned scope is disposed. If the deadline
    /// passes, the blocking operation in progress (or the next one to begin) throws
    /// <see cref="FiberTimeoutException"/>. Plain computation is never interrupted; a scope disposed
    /// before any blocking operation saw the expiry ends quietly. Scopes nest (Curio's rules): if an
    /// outer deadline passes while an inner scope is open, the exception belongs to the outer scope and
    /// passes through the inner one. Dispose scopes in reverse order (<c>using</c>).
    /// </summary>
    /// <param name="delay">How long from now; <see cref="Timeout.InfiniteTimeSpan"/> for no deadline.</param>
    /// <returns>The scope; dispose it to remove the deadline.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative (other than infinite).</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    public static IDisposable TimeoutAfter(TimeSpan delay) => OpenScope(delay, ignore: false);

    /// <summary>Runs <paramref name="body"/> under a deadline (see <see cref="TimeoutAfter(TimeSpan)"/>).</summary>
    /// <param name="delay">How long from now.</param>
    /// <param name="body">The code to run.</param>
    /// <exception cref="FiberTimeoutException">The deadline passed during a blocking operation of <paramref name="body"/>.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    public static void TimeoutAfter(TimeSpan delay, Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using (TimeoutAfter(delay))
            body();
    }

    /// <summary>Runs <paramref name="body"/> under a deadline and returns its result (see <see cref="TimeoutAfter(TimeSpan)"/>).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="delay">How long from now.</param>
    /// <param name="body">The code to run.</param>
    /// <returns>What <paramref name="body"/> returned.</returns>
    /// <exception cref="FiberTimeoutException">The deadline passed during a blocking operation of <paramref name="body"/>.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    public static T TimeoutAfter<T>(TimeSpan delay, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using (TimeoutAfter(delay))
            return body();
    }

    /// <summary>
    /// Like <see cref="TimeoutAfter(TimeSpan)"/>, but the scope's own expiry is meant to be ignored.
    /// C# cannot swallow an exception in <c>Dispose</c>, so with this scope form the
    /// <see cref="FiberTimeoutException"/> still leaves the <c>using</c> block: catch it with
    /// <c>catch (FiberTimeoutException e) when (scope.Owns(e))</c>, or use the delegate form
    /// <see cref="IgnoreAfter(TimeSpan, Action)"/>, which does exactly that. <see cref="IgnoreScope.Expired"/>
    /// tells whether the deadline interrupted the body.
    /// </summary>
    /// <param name="delay">How long from now.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    public static IgnoreScope IgnoreAfter(TimeSpan delay) => new(OpenScope(delay, ignore: true).State);

    /// <summary>
    /// Runs <paramref name="body"/> under a deadline, swallowing its own expiry. An outer scope's expiry
    /// passes through untouched.
    /// </summary>
    /// <param name="delay">How long from now.</param>
    /// <param name="body">The code to run.</param>
    /// <returns>True if <paramref name="body"/> finished; false if the deadline interrupted it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    public static bool IgnoreAfter(TimeSpan delay, Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using IgnoreScope scope = IgnoreAfter(delay);
        try
        {
            body();
        }
        catch (FiberTimeoutException e) when (scope.Owns(e))
        {
        }
        return !scope.Expired;
    }

    /// <summary>
    /// Runs <paramref name="body"/> under a deadline and returns its result, or
    /// <paramref name="fallback"/> if its own deadline interrupted it (thredo's
    /// <c>ignore_after(delay, callable)</c>, which returns None). An outer scope's expiry, a cancellation
    /// of the fiber and any other exception of <paramref name="body"/> pass through. A deadline interrupts
    /// only a blocking operation: if it passes after the body's last one, the body's result is returned.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="delay">How long from now.</param>
    /// <param name="body">The code to run.</param>
    /// <param name="fallback">What to return if the deadline expired first.</param>
    /// <returns>The body's result, or <paramref name="fallback"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    public static T IgnoreAfter<T>(TimeSpan delay, Func<T> body, T fallback)
    {
        ArgumentNullException.ThrowIfNull(body);
        T result = fallback;
        return IgnoreAfter(delay, () => result = body()) ? result : fallback;
    }

    /// <summary>
    /// Defers delivery of cancellation and timeouts to the calling fiber until the returned scope is
    /// disposed; a request that arrives meanwhile is delivered at the first blocking operation after
    /// the outermost such scope ends. Use it around cleanup that must not be interrupted.
    /// </summary>
    /// <returns>The scope; dispose it to allow delivery again.</returns>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    public static IDisposable DisableCancellation()
    {
        Fiber self = Current;
        self.DeferInterrupts();
        return new DeferralScope(self);
    }

    private static TimeoutScope OpenScope(TimeSpan delay, bool ignore)
    {
        if (delay != Timeout.InfiniteTimeSpan)
            ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        Fiber self = Current;
        return new TimeoutScope(delay == Timeout.InfiniteTimeSpan ? null : self.OpenTimeout(delay, ignore), self);
    }

    private sealed class TimeoutScope(TimeoutScopeState? state, Fiber fiber) : IDisposable
    {
        internal TimeoutScopeState? State { get; } = state;
        internal Fiber Fiber { get; } = fiber;

        public void Dispose()
        {
            if (State is not null)
                Fiber.CloseTimeout(State);
        }
    }

    private sealed class DeferralScope(Fiber fiber) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                fiber.ResumeInterrupts();
        }
    }
}

namespace Thredo;

/// <summary>
/// The hold on a lock taken by <see cref="FiberLock.Acquire"/>, <see cref="FiberRLock.Acquire"/> or
/// <see cref="FiberCondition.Acquire"/>: disposing it releases the lock once. Use it with <c>using</c>.
/// </summary>
/// <remarks>
/// A value type, so taking a lock allocates nothing. Dispose it exactly once: like calling
/// <c>Release</c> twice, a second dispose (of the scope or of a copy) throws
/// <see cref="InvalidOperationException"/> unless the caller has acquired the lock again meanwhile.
/// A <c>default</c> scope holds nothing and its dispose does nothing.
/// </remarks>
public readonly struct LockScope : IDisposable
{
    /// <summary>The lock to release; null for a default scope.</summary>
    private readonly OwnedLock? _lock;

    internal LockScope(OwnedLock held) => _lock = held;

    /// <summary>Releases the lock this scope holds (one level of a re-entrant lock). Never blocks.</summary>
    /// <exception cref="InvalidOperationException">The caller no longer owns the lock (the scope was already disposed).</exception>
    public void Dispose() => _lock?.Release();
}

using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>
/// One OS thread's place to wait for the baton (<c>thredo_parker</c>). It holds at most one permit:
/// <see cref="Wake"/> gives it and <see cref="Wait"/> consumes it, so a wake that comes first is never lost.
/// </summary>
internal sealed class ParkerHandle : SafeHandle
{
    /// <summary>Used by the marshaller.</summary>
    public ParkerHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Creates a parker that spins <paramref name="spin"/> iterations before sleeping.</summary>
    internal static ParkerHandle Create(uint spin = 0)
    {
        ThrowHelper.Check(ThredoNative.thredo_parker_create(spin, out ParkerHandle parker), "thredo_parker_create");
        return parker;
    }

    /// <summary>
    /// Sizes the OS structure that parked threads sleep in for <paramref name="waiters"/> of them
    /// (Linux 6.16+: the process's private futex hash). Returns the slots now in use, or 0 or less
    /// where there is nothing to size.
    /// </summary>
    internal static int ReserveWaiters(long waiters) => ThredoNative.thredo_futex_hash_reserve(waiters);

    /// <summary>Changes the spin budget, in iterations.</summary>
    internal void SetSpin(uint spin) => ThredoNative.thredo_parker_set_spin(this, spin);

    /// <summary>Gives the permit and wakes the owner if it sleeps. Any thread.</summary>
    internal void Wake() => ThredoNative.thredo_parker_wake(this);

    /// <summary>Waits for the permit (owner thread only); false if <paramref name="timeoutNs"/> passed first.</summary>
    internal bool Wait(long timeoutNs = -1) => ThredoNative.thredo_parker_wait(this, timeoutNs) == 0;

    /// <summary>
    /// Consumes the permit if it is there, without waiting (owner thread only). No GC transition, so a
    /// spin loop can poll it every few nanoseconds; the handle outlives its owner thread's waits.
    /// </summary>
    internal bool TryTake() => ThredoNative.thredo_parker_try_take(handle) != 0;

    /// <summary>Wakes <paramref name="target"/> and waits on this parker until handed the baton again.</summary>
    internal void SwitchTo(ParkerHandle target) => ThredoNative.thredo_baton_switch(this, target);

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        ThredoNative.thredo_parker_destroy(handle);
        return true;
    }
}

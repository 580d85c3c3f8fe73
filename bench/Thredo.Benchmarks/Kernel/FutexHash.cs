using System.Runtime.InteropServices;

namespace Thredo.Benchmarks.Kernel;

/// <summary>
/// The process-private futex hash of Linux 6.16 and later (<c>prctl(PR_FUTEX_HASH, ...)</c>). Every
/// parked fiber's thread sleeps in <c>futex_wait</c>; a wake scans the waiters of its hash bucket, and
/// the kernel sizes a process's private hash by CPU count (16 slots on 2 CPUs), not by thread count.
/// </summary>
internal static partial class FutexHash
{
    private const int PrFutexHash = 78, SetSlots = 1, GetSlots = 2;

    // prctl(2) is variadic; on x86-64 and AArch64 (Linux) integer varargs travel in the same registers
    // as fixed ones.
    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <returns>The slots of this process's private futex hash (0: the global hash), or -1 where unsupported.</returns>
    internal static int Slots() => OperatingSystem.IsLinux() ? Prctl(PrFutexHash, GetSlots, 0, 0, 0) : -1;

    /// <summary>Resizes this process's private futex hash to <paramref name="slots"/> (a power of two; 0: use the global hash).</summary>
    /// <exception cref="InvalidOperationException">The kernel refused (older than 6.16, or a bad size).</exception>
    internal static void SetSlotsTo(int slots)
    {
        if (Prctl(PrFutexHash, SetSlots, (nuint)slots, 0, 0) != 0)
            throw new InvalidOperationException($"prctl(PR_FUTEX_HASH, SET_SLOTS, {slots}) failed: errno {Marshal.GetLastPInvokeError()}");
    }
}

using Thredo.Fibers;
using Thredo.Kernel;

namespace Thredo.Native;

/// <summary>
/// Native fibers: C code on switched stacks, run by the kernel alongside managed fibers. The C code
/// blocks through <c>thredo.h</c> (<c>thredo_read</c>, <c>thredo_write</c>, <c>thredo_sleep_ms</c>,
/// <c>thredo_yield</c>, ...), which suspends the native fiber instead of the thread, so thousands of
/// blocking-style C calls share one OS thread and the kernel's poller.
/// </summary>
/// <remarks>
/// Every native fiber of a kernel is resumed from one and the same OS thread, so C thread-local state
/// (<c>errno</c>, caches) stays put. A suspended native fiber holds native frames only. Its stack has
/// a guard page: an overflow aborts the process with a message naming the fiber (a C stack overflow
/// cannot be recovered safely).
/// </remarks>
public static class NativeFiber
{
    /// <summary>The smallest stack a native fiber may have.</summary>
    public const int MinimumStackSizeBytes = 8 * 1024;

    /// <summary>
    /// Starts the C function <paramref name="entry"/> (<c>intptr_t (*)(intptr_t)</c>) with
    /// <paramref name="argument"/> as a native fiber of the caller's kernel. The returned fiber joins,
    /// cancels and times out like any fiber: its result is what <paramref name="entry"/> returned;
    /// cancelling it makes its blocking <c>thredo.h</c> call return <c>-ECANCELED</c> (once), and if the
    /// C code then returns, the fiber ends <see cref="FiberState.Cancelled"/>.
    /// </summary>
    /// <param name="entry">Address of the C entry point; it must not call managed code except through <c>thredo_call_managed</c> / <c>thredo_call_nested</c>.</param>
    /// <param name="argument">Passed to <paramref name="entry"/>.</param>
    /// <param name="stackSizeBytes">Usable stack size; at least <see cref="MinimumStackSizeBytes"/>. Memory is committed as it is touched.</param>
    /// <returns>The fiber; <see cref="Fiber{T}.Join"/> returns the C function's result.</returns>
    /// <exception cref="ArgumentException"><paramref name="entry"/> is zero.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stackSizeBytes"/> is below <see cref="MinimumStackSizeBytes"/>.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    /// <exception cref="InsufficientMemoryException">No address space is left for the stack.</exception>
    public static Fiber<long> Spawn(nint entry, nint argument, int stackSizeBytes = 64 * 1024)
    {
        if (entry == 0)
            throw new ArgumentException("The entry must be the address of a C function intptr_t (*)(intptr_t).", nameof(entry));
        ArgumentOutOfRangeException.ThrowIfLessThan(stackSizeBytes, MinimumStackSizeBytes);
        FiberRuntime runtime = Fiber.Current.Runtime;
        NativeFiberHandle handle = NativeFiberHandle.Create(entry, argument, (nuint)stackSizeBytes);
        var fiber = (Fiber<long>)Fiber.Create(runtime, k =>
        {
            k.EnsureNativeHost();
            return new Fiber<long>(NotRunAsDelegate, null, runtime, k, null) { Native = handle };
        });
        handle.SetId(fiber.Id);
        return fiber;
    }

    /// <summary>
    /// Makes <paramref name="callback"/> callable from native fiber code by the returned id, through
    /// <c>thredo_call_managed(id, argument, &amp;result)</c> (the callback may block: it runs on a managed
    /// fiber while the native fiber waits) or <c>thredo_call_nested</c> (it must not block: it may run
    /// directly on the native fiber's stack).
    /// </summary>
    /// <param name="callback">Receives the C argument; its return value is the C result.</param>
    /// <returns>The id to pass from C.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="callback"/> is null.</exception>
    public static long RegisterCallback(Func<long, long> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return NativeCallbacks.Register(callback);
    }

    /// <summary>Forgets a callback; later calls with its id return <c>-ENOENT</c>.</summary>
    /// <param name="id">An id from <see cref="RegisterCallback"/>.</param>
    /// <returns>True if it was registered.</returns>
    public static bool UnregisterCallback(long id) => NativeCallbacks.Unregister(id);

    private static long NotRunAsDelegate() =>
        throw new InvalidOperationException("A native fiber's body is its C entry point, run by the native fiber host.");
}

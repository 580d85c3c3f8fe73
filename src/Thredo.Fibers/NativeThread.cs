using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>
/// OS threads started by the native library (<c>thredo_thread_start</c>) that enter managed code
/// through an <see cref="UnmanagedCallersOnlyAttribute"/> entry, where the runtime attaches them.
/// </summary>
/// <remarks>
/// Measured 3-4.5x cheaper than <see cref="Thread.Start()"/> per thread, for the creator too
/// (docs/benchmarks.md, "Thread supply"). Such a thread never keeps the process alive, as a background
/// <see cref="Thread"/> would not; an exception escaping its body ends the process, as it would there.
/// </remarks>
internal static unsafe class NativeThread
{
    /// <summary>Starts a thread that runs <paramref name="body"/> on a stack of <paramref name="stackSize"/> bytes.</summary>
    /// <returns>0, or the errno the OS refused with (EAGAIN at a thread limit, ENOMEM).</returns>
    internal static int TryStart(Action body, int stackSize)
    {
        GCHandle handle = GCHandle.Alloc(body);
        int r = ThredoNative.thredo_thread_start(&Entry, (void*)GCHandle.ToIntPtr(handle), (nuint)stackSize);
        if (r != 0)
            handle.Free();
        return -r;
    }

    [UnmanagedCallersOnly]
    private static void Entry(void* arg)
    {
        GCHandle handle = GCHandle.FromIntPtr((IntPtr)arg);
        var body = (Action)handle.Target!;
        handle.Free();
        body();
    }
}

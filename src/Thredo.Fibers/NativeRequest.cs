using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>What a native fiber asks of its kernel (<c>THREDO_REQ_*</c> in thredo_native.h).</summary>
internal enum NativeRequestKind
{
    /// <summary>Let others run first.</summary>
    Yield = ThredoNative.THREDO_REQ_YIELD,
    /// <summary>Sleep <see cref="NativeRequest.Value"/> milliseconds.</summary>
    Sleep = ThredoNative.THREDO_REQ_SLEEP,
    /// <summary>Wait until <see cref="NativeRequest.Fd"/> is ready for <see cref="NativeRequest.Interest"/>.</summary>
    WaitFd = ThredoNative.THREDO_REQ_WAIT_FD,
    /// <summary>Open a timeout scope of <see cref="NativeRequest.Value"/> milliseconds.</summary>
    TimeoutPush = ThredoNative.THREDO_REQ_TIMEOUT_PUSH,
    /// <summary>Close the innermost timeout scope.</summary>
    TimeoutPop = ThredoNative.THREDO_REQ_TIMEOUT_POP,
    /// <summary>Run managed callback <see cref="NativeRequest.Value"/> with <see cref="NativeRequest.Argument"/>; the result goes back into Value.</summary>
    Call = ThredoNative.THREDO_REQ_CALL,
    /// <summary>As <see cref="WaitFd"/>, for at most <see cref="NativeRequest.Value"/> milliseconds: resumed with 0 (ready), 1 (the time passed) or a negative errno.</summary>
    WaitFdFor = ThredoNative.THREDO_REQ_WAIT_FD_FOR,
}

// thredo_request (its fields are generated): filled by a thredo.h call on the native fiber's stack;
// its address is what the fiber yields. Valid while the fiber is suspended.
internal partial struct NativeRequest
{
    /// <summary>Reads the request a suspended native fiber yielded the address of.</summary>
    internal static unsafe NativeRequest Read(IntPtr address) => *(NativeRequest*)address;

    /// <summary>Writes a Call's result back into the request, before the fiber is resumed.</summary>
    internal static unsafe void WriteValue(IntPtr address, long value) => ((NativeRequest*)address)->Value = value;
}

/// <summary>
/// The entry point <c>thredo_call_nested</c> uses to run a managed callback directly on a native
/// fiber's stack (only when the native side has checked that this is safe).
/// </summary>
internal static unsafe class NativeCallbackDispatch
{
    private static Func<long, long, (long Result, bool Found)>? s_handler;

    /// <summary>Routes nested callbacks to <paramref name="handler"/> (callback id, argument) → (result, whether the id exists); registers the entry point once.</summary>
    internal static void Install(Func<long, long, (long Result, bool Found)> handler)
    {
        if (Interlocked.CompareExchange(ref s_handler, handler, null) is null)
            ThredoNative.thredo_set_managed_dispatch(&Dispatch);
    }

    [UnmanagedCallersOnly]
    private static long Dispatch(long callback, long argument, int* status)
    {
        try
        {
            (long result, bool found) = s_handler!(callback, argument);
            *status = found ? 0 : -Errno.ENOENT;
            return result;
        }
#pragma warning disable CA1031 // An exception must never cross into C frames.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Console.Error.WriteLine($"Thredo: nested native callback {callback} threw: {e}");
            *status = -Errno.EIO;
        }
        return 0;
    }
}

using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>What a native fiber asks of its kernel (<c>THREDO_REQ_*</c> in thredo_native.h).</summary>
internal enum NativeRequestKind
{
    /// <summary>Let others run first.</summary>
    Yield = 1,
    /// <summary>Sleep <see cref="NativeRequest.Value"/> milliseconds.</summary>
    Sleep = 2,
    /// <summary>Wait until <see cref="NativeRequest.Fd"/> is ready for <see cref="NativeRequest.Interest"/>.</summary>
    WaitFd = 3,
    /// <summary>Open a timeout scope of <see cref="NativeRequest.Value"/> milliseconds.</summary>
    TimeoutPush = 4,
    /// <summary>Close the innermost timeout scope.</summary>
    TimeoutPop = 5,
    /// <summary>Run managed callback <see cref="NativeRequest.Value"/> with <see cref="NativeRequest.Argument"/>; the result goes back into Value.</summary>
    Call = 6,
    /// <summary>As <see cref="WaitFd"/>, for at most <see cref="NativeRequest.Value"/> milliseconds: resumed with 0 (ready), 1 (the time passed) or a negative errno.</summary>
    WaitFdFor = 7,
}

/// <summary>
/// <c>thredo_request</c>: filled by a thredo.h call on the native fiber's stack; its address is what
/// the fiber yields. Valid while the fiber is suspended.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeRequest
{
    /// <summary>What is asked.</summary>
    public NativeRequestKind Kind;
    private readonly int _reserved;
    /// <summary>WaitFd: the descriptor.</summary>
    public long Fd;
    /// <summary>WaitFd: <see cref="PollEvents.Readable"/> or <see cref="PollEvents.Writable"/>.</summary>
    public PollEvents Interest;
    private readonly uint _reserved2;
    /// <summary>Sleep/TimeoutPush/WaitFdFor: milliseconds; Call: the callback id in, its result out.</summary>
    public long Value;
    /// <summary>Call: the argument.</summary>
    public long Argument;

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

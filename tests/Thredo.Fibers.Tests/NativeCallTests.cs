using System.Runtime.InteropServices;

namespace Thredo.Fibers.Tests;

/// <summary><c>thredo_call_c</c>, the trampoline of NativeFiber.Call: the function, then six arguments, in order.</summary>
public unsafe class NativeCallTests
{
    [LinuxFact]
    public void thredo_call_c_passes_up_to_six_arguments_in_order_and_returns_the_result()
    {
        IntPtr libc = NativeLibrary.Load("libc.so.6");
        IntPtr text = Marshal.StringToCoTaskMemUTF8("-777");
        try
        {
            // strtol("-777", NULL, 10): three of the six slots; the rest are ignored.
            using var call = new NativeCall(NativeLibrary.GetExport(libc, "strtol"), [text, 0, 10, 11, 12, 13]);
            Assert.Equal(-777, ThredoNative.thredo_call_c(call.Block));
            // snprintf(buffer, 32, "%ld %ld %ld", 4, 5, 6): all six.
            IntPtr buffer = Marshal.AllocCoTaskMem(32);
            IntPtr format = Marshal.StringToCoTaskMemUTF8("%ld %ld %ld");
            try
            {
                using var six = new NativeCall(NativeLibrary.GetExport(libc, "snprintf"), [buffer, 32, format, 4, 5, 6]);
                Assert.Equal(5, ThredoNative.thredo_call_c(six.Block));
                Assert.Equal("4 5 6", Marshal.PtrToStringUTF8(buffer));
            }
            finally
            {
                Marshal.FreeCoTaskMem(buffer);
                Marshal.FreeCoTaskMem(format);
            }
        }
        finally
        {
            Marshal.FreeCoTaskMem(text);
        }
    }
}

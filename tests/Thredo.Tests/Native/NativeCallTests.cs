using System.Runtime.InteropServices;
using Thredo.Native;

namespace Thredo.Tests.Native;

/// <summary><see cref="NativeFiber.Call"/> and <see cref="NativeFiber.LoadLibrary"/>: results, arguments, and what they refuse.</summary>
public class NativeCallTests
{
    private static nint Libc(string name) => NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), name);

    [Fact]
    public void Call_passes_the_arguments_in_order_and_returns_the_C_result() =>
        K.Run(() =>
        {
            // labs(x) takes one argument, the other five are ignored; getpid takes none.
            Assert.Equal(42, NativeFiber.Call(Libc("labs"), -42).Join());
            Assert.Equal(Environment.ProcessId, (int)NativeFiber.Call(Libc("getpid")).Join());
            // strtol(" 17", NULL, 8): three arguments, in order
            nint s = Marshal.StringToCoTaskMemUTF8(" 17");
            try
            {
                Assert.Equal(15, NativeFiber.Call(Libc("strtol"), s, 0, 8).Join());
            }
            finally
            {
                Marshal.FreeCoTaskMem(s);
            }
        });

    [Fact]
    public void Call_refuses_a_zero_function_seven_arguments_and_a_caller_that_is_no_fiber()
    {
        K.Run(() =>
        {
            Assert.Equal("function", Assert.Throws<ArgumentException>(() => NativeFiber.Call(0)).ParamName);
            Assert.Equal("arguments", Assert.Throws<ArgumentException>(() => NativeFiber.Call(Libc("labs"), 1, 2, 3, 4, 5, 6, 7)).ParamName);
        });
        var e = Assert.Throws<InvalidOperationException>(() => NativeFiber.Call(Libc("labs"), 1));
        Assert.Contains("Fiber.Run", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadLibrary_is_idempotent_and_names_a_library_it_cannot_load()
    {
        Assert.Equal(NativeFiber.LoadLibrary("libz.so.1"), NativeFiber.LoadLibrary("libz.so.1"));
        var e = Assert.Throws<DllNotFoundException>(() => NativeFiber.LoadLibrary("libthredo-no-such-library.so.9"));
        Assert.Contains("libthredo-no-such-library.so.9", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => NativeFiber.LoadLibrary(""));
    }

    [Fact]
    public void NativeStackSizeBytes_below_the_minimum_is_refused_by_name() =>
        Assert.Equal("NativeStackSizeBytes", Assert.Throws<ArgumentOutOfRangeException>(
            () => Fiber.Run(() => { }, new FiberOptions { NativeStackSizeBytes = 1024 })).ParamName);
}

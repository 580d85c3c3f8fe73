namespace Thredo.Fibers.Tests;

/// <summary>thredo.h is for C code on native fibers; called from anywhere else it refuses with -EPERM.</summary>
public unsafe class ThredoApiOffFiberTests
{
    private const int EPERM = 1;

    [Fact]
    public void Blocking_calls_off_a_native_fiber_return_EPERM()
    {
        byte b = 0;
        long result = 0;
        Assert.Equal(-EPERM, ThredoNative.thredo_read(0, &b, 1));
        Assert.Equal(-EPERM, ThredoNative.thredo_write(1, &b, 1));
        Assert.Equal(-EPERM, ThredoNative.thredo_connect(0, null, 0));
        Assert.Equal(-EPERM, ThredoNative.thredo_sleep_ms(1));
        Assert.Equal(-EPERM, ThredoNative.thredo_yield());
        Assert.Equal(-EPERM, ThredoNative.thredo_timeout_push(1));
        Assert.Equal(-EPERM, ThredoNative.thredo_timeout_pop());
        Assert.Equal(-EPERM, ThredoNative.thredo_call_managed(1, 2, &result));
        Assert.Equal(-EPERM, ThredoNative.thredo_call_nested(1, 2, &result));
    }

    [Fact]
    public void Queries_off_a_native_fiber_return_zero()
    {
        Assert.Equal(0, ThredoNative.thredo_current());
        Assert.Equal(0, ThredoNative.thredo_cancelled());
    }
}

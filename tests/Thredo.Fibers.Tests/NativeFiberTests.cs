using System.Runtime.InteropServices;

namespace Thredo.Fibers.Tests;

/// <summary>
/// Native fibers resumed through P/Invoke (<c>thredo_fiber_*</c>). Their entries are C functions
/// from tests/entries: no managed frame ever runs on a fiber stack.
/// </summary>
public sealed class NativeFiberTests
{
    [Fact]
    public void Fiber_yields_each_value_then_finishes_with_its_result()
    {
        using NativeFiberHandle fiber = NativeFiberHandle.Create(TestEntries.YieldN, 5, 0);
        Assert.False(fiber.IsFinished);
        for (int i = 1; i <= 5; i++)
        {
            Assert.False(fiber.Resume(0, out IntPtr yielded), $"the fiber finished at resume {i}");
            Assert.Equal(i, yielded);
            Assert.False(fiber.IsFinished);
        }
        Assert.True(fiber.Resume(0, out IntPtr result));
        Assert.Equal(5, result);
        Assert.True(fiber.IsFinished);
    }

    [Fact]
    public void Resume_value_is_what_the_pending_yield_returns()
    {
        using NativeFiberHandle fiber = NativeFiberHandle.Create(TestEntries.SumUntilZero, 100, 0);
        Assert.False(fiber.Resume(999, out IntPtr sum));     // first resume: its value is ignored
        Assert.Equal(100, sum);
        Assert.False(fiber.Resume(1, out sum));
        Assert.Equal(101, sum);
        Assert.False(fiber.Resume(-50, out sum));
        Assert.Equal(51, sum);
        Assert.True(fiber.Resume(0, out sum));
        Assert.Equal(51, sum);
    }

    [Fact]
    public void Fiber_that_returns_at_once_finishes_on_first_resume()
    {
        using NativeFiberHandle fiber = NativeFiberHandle.Create(TestEntries.AddOne, 41, 0);
        Assert.True(fiber.Resume(0, out IntPtr result));
        Assert.Equal(42, result);
        Assert.True(fiber.IsFinished);
    }

    [Fact]
    public void Resuming_a_finished_fiber_throws_EINVAL()
    {
        using NativeFiberHandle fiber = NativeFiberHandle.Create(TestEntries.AddOne, 1, 0);
        Assert.True(fiber.Resume(0, out _));
        ArgumentException e = Assert.Throws<ArgumentException>(() => fiber.Resume(0, out _));
        Assert.Contains("thredo_fiber_resume", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Many_fibers_interleaved_on_one_thread_keep_their_own_state()
    {
        const int Count = 64;
        NativeFiberHandle[] fibers = new NativeFiberHandle[Count];
        try
        {
            for (int i = 0; i < Count; i++)
            {
                fibers[i] = NativeFiberHandle.Create(TestEntries.YieldLoop, i * 1000, 16 * 1024);
                Assert.False(fibers[i].Resume(0, out IntPtr first));
                Assert.Equal(i * 1000, first);
            }
            for (int round = 1; round <= 50; round++)
            {
                for (int i = 0; i < Count; i++)
                {
                    Assert.False(fibers[i].Resume(i * 1000 + round, out IntPtr echoed));
                    Assert.Equal(i * 1000 + round + 1, echoed);
                }
            }
        }
        finally
        {
            // Destroying a fiber suspended mid-run frees it without unwinding its C frames.
            foreach (NativeFiberHandle? fiber in fibers)
                fiber?.Dispose();
        }
    }

    [Fact]
    public void Current_fiber_is_set_on_the_fiber_and_null_off_it()
    {
        Assert.Equal(IntPtr.Zero, ThredoNative.thredo_fiber_current());
        using NativeFiberHandle fiber = NativeFiberHandle.Create(TestEntries.CurrentIsSet, 0, 0);
        Assert.False(fiber.Resume(0, out IntPtr onFiber));
        Assert.Equal(1, onFiber);
        Assert.Equal(IntPtr.Zero, ThredoNative.thredo_fiber_current());
        Assert.True(fiber.Resume(0, out onFiber));
        Assert.Equal(1, onFiber);
    }

    [Fact]
    public void Resume_from_inside_a_fiber_returns_EDEADLK()
    {
        using NativeFiberHandle inner = NativeFiberHandle.Create(TestEntries.AddOne, 1, 0);
        using NativeFiberHandle outer = NativeFiberHandle.Create(TestEntries.ResumeNested, inner.DangerousGetHandle(), 0);
        Assert.True(outer.Resume(0, out IntPtr code));
        Assert.Equal(-Errno.EDEADLK, code);
        Assert.False(inner.IsFinished, "the nested resume ran the inner fiber");
        Assert.True(inner.Resume(0, out IntPtr result));  // still resumable from its host thread
        Assert.Equal(2, result);
    }

    [Fact]
    public void Never_resumed_fiber_can_be_destroyed()
    {
        var fiber = NativeFiberHandle.Create(TestEntries.YieldN, 3, 0);
        Assert.False(fiber.IsFinished);
        fiber.Dispose();
        Assert.True(fiber.IsClosed);
    }

    [Fact]
    public void Null_entry_is_rejected_with_EINVAL()
    {
        Assert.Throws<ArgumentException>(() => NativeFiberHandle.Create(IntPtr.Zero, 0, 0));
    }

    [Fact]
    public void A_million_resumes_from_one_thread_stay_consistent()
    {
        using NativeFiberHandle fiber = NativeFiberHandle.Create(TestEntries.YieldLoop, 0, 0);
        Assert.False(fiber.Resume(0, out _));
        for (int i = 0; i < 1_000_000; i++)
        {
            if (fiber.Resume(i, out IntPtr echoed) || echoed != i + 1)
                Assert.Fail($"resume {i}: got {echoed}, finished={fiber.IsFinished}");
        }
    }

    [Fact]
    public void Switch_kind_is_the_configured_one()
    {
        string kind = NativeFiberHandle.SwitchKind;
        if (OperatingSystem.IsWindows())
        {
            Assert.Equal("winfiber", kind);
        }
        else
        {
            // build.sh passes THREDO_SWITCH to CMake; unset means the default, "asm".
            string expected = Environment.GetEnvironmentVariable("THREDO_SWITCH") is { Length: > 0 } configured ? configured : "asm";
            Assert.Equal(expected, kind);
        }
    }

    [Fact]
    public void Stack_is_at_least_the_size_asked_page_aligned_and_writable()
    {
        using StackHandle stack = StackHandle.Allocate(100_000);
        Assert.True(stack.Size >= 100_000, $"size {stack.Size}");
        Assert.Equal(0, (long)stack.Base % Environment.SystemPageSize);
        Marshal.WriteByte(stack.Base, 0x5A);
        Marshal.WriteByte(stack.Base + (nint)(stack.Size - 1), 0xA5);
        Assert.Equal(0x5A, Marshal.ReadByte(stack.Base));
        Assert.Equal(0xA5, Marshal.ReadByte(stack.Base + (nint)(stack.Size - 1)));
    }

    [Fact]
    public void Zero_sized_stack_is_rejected_with_EINVAL()
    {
        Assert.Throws<ArgumentException>(() => StackHandle.Allocate(0));
    }
}

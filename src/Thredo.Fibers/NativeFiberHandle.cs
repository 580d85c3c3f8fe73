using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>
/// A native fiber (<c>thredo_fiber</c>): C code on its own switched stack. Only native frames ever sit
/// on that stack while it is suspended (see DESIGN.md, "Native fibers").
/// </summary>
internal sealed unsafe class NativeFiberHandle : SafeHandle
{
    /// <summary>Used by the marshaller.</summary>
    public NativeFiberHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Creates a suspended fiber that will run the C function <paramref name="entry"/>(<paramref name="argument"/>).</summary>
    internal static NativeFiberHandle Create(IntPtr entry, IntPtr argument, nuint stackSize)
    {
        ThrowHelper.Check(ThredoNative.thredo_fiber_create((delegate* unmanaged<nint, nint>)entry, argument, stackSize, out NativeFiberHandle fiber), "thredo_fiber_create");
        return fiber;
    }

    /// <summary>
    /// Creates a suspended fiber that will call <paramref name="function"/> with up to six integer or
    /// pointer <paramref name="arguments"/> (through <c>thredo_call_c</c>); the argument block is freed with the fiber.
    /// </summary>
    internal static NativeFiberHandle CreateCall(IntPtr function, ReadOnlySpan<IntPtr> arguments, nuint stackSize)
    {
        var call = new NativeCall(function, arguments);
        try
        {
            NativeFiberHandle fiber = Create(NativeCall.Entry, call.Block, stackSize);
            fiber._call = call;
            return fiber;
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>The argument block of a <see cref="CreateCall"/> fiber: freed after the fiber is.</summary>
    private NativeCall? _call;

    /// <summary>Runs the fiber on this thread until it yields or returns.</summary>
    /// <returns>True if it has finished (<paramref name="result"/> is its return value); false if it yielded <paramref name="result"/>.</returns>
    internal bool Resume(IntPtr value, out IntPtr result)
    {
        IntPtr r;
        bool finished = ThrowHelper.Check(ThredoNative.thredo_fiber_resume(this, value, &r), "thredo_fiber_resume") == 1;
        result = r;
        return finished;
    }

    /// <summary>Tags the fiber with its kernel-side id (what <c>thredo_current</c> returns and fatal messages name).</summary>
    internal void SetId(long id) => ThredoNative.thredo_fiber_set_id(this, id);

    /// <summary>Sets the flag <c>thredo_cancelled</c> reads.</summary>
    internal void SetCancelPending(bool pending) => ThredoNative.thredo_fiber_set_cancel_pending(this, pending ? 1 : 0);

    /// <summary>Installs the guard-page fault reporter (once per process; POSIX only).</summary>
    internal static void InstallGuardReporter() => _ = ThredoNative.thredo_guard_install();

    /// <summary>Whether the fiber has returned from its entry.</summary>
    internal bool IsFinished => ThredoNative.thredo_fiber_is_finished(this) != 0;

    /// <summary>The name of the compiled-in switch: "asm", "ucontext" or "winfiber".</summary>
    internal static unsafe string SwitchKind => Marshal.PtrToStringUTF8((IntPtr)ThredoNative.thredo_switch_kind()) ?? "";

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        ThredoNative.thredo_fiber_destroy(handle);
        _call?.Dispose();
        return true;
    }
}

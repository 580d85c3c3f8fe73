using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>A guard-paged native stack (<c>thredo_stack</c>), returned to the native pool when released.</summary>
internal sealed class StackHandle : SafeHandle
{
    /// <summary>Used by the marshaller.</summary>
    public StackHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Reserves a stack of at least <paramref name="size"/> usable bytes, with a guard page below.</summary>
    internal static StackHandle Allocate(nuint size)
    {
        ThrowHelper.Check(ThredoNative.thredo_stack_alloc(size, out StackHandle stack), "thredo_stack_alloc");
        return stack;
    }

    /// <summary>The lowest usable address, just above the guard page.</summary>
    internal unsafe IntPtr Base => (IntPtr)ThredoNative.thredo_stack_base(this);

    /// <summary>The usable size in bytes.</summary>
    internal nuint Size => ThredoNative.thredo_stack_size(this);

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        ThredoNative.thredo_stack_free(handle);
        return true;
    }
}

using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>
/// The argument block of <c>thredo_call_c</c> (native/src/call_c.c): the function, then six
/// integer/pointer arguments, in native memory that lives as long as the fiber running the call.
/// </summary>
internal sealed unsafe class NativeCall : IDisposable
{
    /// <summary>Function plus six arguments.</summary>
    internal const int Slots = 7;

    private static readonly Lazy<IntPtr> s_entry = new(() =>
        NativeLibrary.GetExport(NativeLibraryResolver.LoadFrom(NativeLibraryResolver.ExpectedPath), "thredo_call_c"));

    private IntPtr _block;

    /// <summary>Copies <paramref name="function"/> and <paramref name="arguments"/> (at most six; the rest are zero) into native memory.</summary>
    internal NativeCall(IntPtr function, ReadOnlySpan<IntPtr> arguments)
    {
        _block = (IntPtr)NativeMemory.AllocZeroed(Slots, (nuint)sizeof(IntPtr));
        var slots = new Span<IntPtr>((void*)_block, Slots);
        slots[0] = function;
        arguments.CopyTo(slots[1..]);
    }

    /// <summary>The address of <c>thredo_call_c</c>, the native fiber entry that makes the call.</summary>
    internal static IntPtr Entry => s_entry.Value;

    /// <summary>The block's address: the entry's argument.</summary>
    internal IntPtr Block => _block;

    /// <inheritdoc/>
    public void Dispose()
    {
        NativeMemory.Free((void*)_block);
        _block = IntPtr.Zero;
    }
}

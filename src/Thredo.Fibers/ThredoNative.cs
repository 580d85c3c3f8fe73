using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>
/// One <c>LibraryImport</c> per export of <c>native/include/thredo_native.h</c>, under the same
/// name and with blittable signatures. Functions returning <see cref="int"/> return 0 (or a count)
/// on success and a negative errno on failure; <see cref="ThrowHelper"/> turns those into exceptions.
/// </summary>
internal static unsafe partial class ThredoNative
{
    private const string Lib = NativeLibraryResolver.LibraryName;

    [LibraryImport(Lib)] internal static partial byte* thredo_switch_kind();

    [LibraryImport(Lib)] internal static partial int thredo_stack_alloc(nuint size, out StackHandle stack);
    [LibraryImport(Lib)] internal static partial void thredo_stack_free(IntPtr stack);
    [LibraryImport(Lib)] internal static partial void* thredo_stack_base(StackHandle stack);
    [LibraryImport(Lib)] internal static partial nuint thredo_stack_size(StackHandle stack);

    [LibraryImport(Lib)] internal static partial int thredo_fiber_create(IntPtr entry, IntPtr argument, nuint stackSize, out NativeFiberHandle fiber);
    [LibraryImport(Lib)] internal static partial int thredo_fiber_resume(NativeFiberHandle fiber, IntPtr value, out IntPtr result);
    [LibraryImport(Lib)] internal static partial IntPtr thredo_fiber_yield(IntPtr value);
    [LibraryImport(Lib)] internal static partial IntPtr thredo_fiber_current();
    [LibraryImport(Lib)] internal static partial int thredo_fiber_is_finished(NativeFiberHandle fiber);
    [LibraryImport(Lib)] internal static partial void thredo_fiber_destroy(IntPtr fiber);

    [LibraryImport(Lib)] internal static partial int thredo_parker_create(uint spin, out ParkerHandle parker);
    [LibraryImport(Lib)] internal static partial void thredo_parker_destroy(IntPtr parker);
    [LibraryImport(Lib)] internal static partial void thredo_parker_set_spin(ParkerHandle parker, uint spin);
    [LibraryImport(Lib)] internal static partial int thredo_parker_wake(ParkerHandle parker);
    [LibraryImport(Lib)] internal static partial int thredo_parker_wait(ParkerHandle parker, long timeoutNs);
    [LibraryImport(Lib), SuppressGCTransition] internal static partial int thredo_parker_try_take(IntPtr parker);   // polled in spin loops: no GC transition
    [LibraryImport(Lib)] internal static partial int thredo_baton_switch(ParkerHandle self, ParkerHandle target);
    [LibraryImport(Lib)] internal static partial int thredo_futex_hash_reserve(long waiters);
    [LibraryImport(Lib)] internal static partial int thredo_thread_start(delegate* unmanaged<IntPtr, void> entry, IntPtr arg, nuint stackSize);
    [LibraryImport(Lib)] internal static partial uint thredo_thread_current_id();
    [LibraryImport(Lib)] internal static partial int thredo_thread_wait_state(uint tid, out int state, out int waitReason);
    [LibraryImport(Lib)] internal static partial int thredo_thread_cycles(uint tid, out ulong cycles);

    [LibraryImport(Lib)] internal static partial int thredo_poller_create(out PollerHandle poller);
    [LibraryImport(Lib)] internal static partial void thredo_poller_destroy(IntPtr poller);
    [LibraryImport(Lib)] internal static partial int thredo_poller_add(PollerHandle poller, IntPtr fd, uint interest, ulong token);
    [LibraryImport(Lib)] internal static partial int thredo_poller_modify(PollerHandle poller, IntPtr fd, uint interest, ulong token);
    [LibraryImport(Lib)] internal static partial int thredo_poller_remove(PollerHandle poller, IntPtr fd);
    [LibraryImport(Lib)] internal static partial int thredo_poller_wait(PollerHandle poller, PollEvent* events, int capacity, long timeoutNs);
    [LibraryImport(Lib)] internal static partial int thredo_poller_wake(PollerHandle poller);

    [LibraryImport(Lib)] internal static partial void thredo_fiber_set_id(NativeFiberHandle fiber, long id);
    [LibraryImport(Lib)] internal static partial void thredo_fiber_set_cancel_pending(NativeFiberHandle fiber, int pending);
    [LibraryImport(Lib)] internal static partial void thredo_set_managed_dispatch(delegate* unmanaged<long, long, int*, long> dispatch);
    [LibraryImport(Lib)] internal static partial int thredo_guard_install();
    [LibraryImport(Lib)] internal static partial int thredo_hook_library(IntPtr handle);
    [LibraryImport(Lib)] internal static partial long thredo_hook_patched_slots();
    // NativeFiber.Call runs thredo_call_c as a fiber entry (its address, NativeCall.Entry); this import calls it in place.
    [LibraryImport(Lib)] internal static partial IntPtr thredo_call_c(IntPtr call);

    // thredo.h: for C code on native fibers. Off a fiber they return -EPERM, which the tests check.
    [LibraryImport(Lib)] internal static partial long thredo_read(IntPtr fd, void* buf, nuint len);
    [LibraryImport(Lib)] internal static partial long thredo_write(IntPtr fd, void* buf, nuint len);
    [LibraryImport(Lib)] internal static partial int thredo_connect(IntPtr fd, void* addr, nuint addrlen);
    [LibraryImport(Lib)] internal static partial int thredo_sleep_ms(long ms);
    [LibraryImport(Lib)] internal static partial int thredo_yield();
    [LibraryImport(Lib)] internal static partial long thredo_current();
    [LibraryImport(Lib)] internal static partial int thredo_cancelled();
    [LibraryImport(Lib)] internal static partial int thredo_timeout_push(long ms);
    [LibraryImport(Lib)] internal static partial int thredo_timeout_pop();
    [LibraryImport(Lib)] internal static partial int thredo_call_managed(long callback, long argument, long* result);
    [LibraryImport(Lib)] internal static partial int thredo_call_nested(long callback, long argument, long* result);
}

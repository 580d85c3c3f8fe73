using System.Runtime.InteropServices;

namespace Thredo.Tests.Native;

/// <summary>Function pointers into tests/entries (pure C that blocks only through thredo.h).</summary>
internal static class NativeEntries
{
    private static readonly Lazy<IntPtr> s_library = new(Load);

    public static nint Sleep => Export("thredo_test_sleep");
    public static nint SleepUntilInterrupted => Export("thredo_test_sleep_until_interrupted");
    public static nint TimeoutScope => Export("thredo_test_timeout_scope");
    public static nint ReadAll => Export("thredo_test_read_all");
    public static nint YieldAndId => Export("thredo_test_yield_and_id");
    public static nint CallManaged => Export("thredo_test_call_managed");
    public static nint CallNested => Export("thredo_test_call_nested");
    public static nint Overflow => Export("thredo_test_overflow");
    public static nint HugeTimeout => Export("thredo_test_huge_timeout");
    public static nint WriteMegabyte => Export("thredo_test_write_megabyte");

    private static nint Export(string name) => NativeLibrary.GetExport(s_library.Value, name);

    private static IntPtr Load()
    {
        // Load thredo_native (through Thredo's resolver) first, so the entries library binds to
        // that copy by SONAME instead of mapping a second one from the build tree.
        var warmUp = new Thread(() => Fiber.Run(() => { }));   // callers are fibers: run it off them
        warmUp.Start();
        warmUp.Join();
        string path = Path.Combine(AppContext.BaseDirectory, "libthredo_test_entries.so");
        return NativeLibrary.TryLoad(path, out IntPtr handle) ? handle : throw new DllNotFoundException(
            $"The native test entry points were not found at '{path}'. Build them with ./build.sh (CMake target thredo_test_entries).");
    }
}

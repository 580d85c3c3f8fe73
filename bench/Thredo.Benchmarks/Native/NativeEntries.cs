using System.Runtime.InteropServices;
using Thredo.Fibers;

namespace Thredo.Benchmarks.Native;

/// <summary>
/// Exports of <c>thredo_test_entries</c> (tests/entries: pure-C fiber entry points) and of
/// <c>thredo_native</c> itself, as function pointers.
/// </summary>
internal static class NativeEntries
{
    private static readonly Lazy<IntPtr> s_entries = new(LoadEntries);

    /// <summary>The thredo_native module the LibraryImports are bound to.</summary>
    internal static IntPtr ThredoNativeModule => NativeLibraryResolver.LoadFrom(NativeLibraryResolver.ExpectedPath);

    /// <summary>An export of <c>thredo_test_entries</c>.</summary>
    internal static IntPtr Entry(string name) => NativeLibrary.GetExport(s_entries.Value, name);

    private static IntPtr LoadEntries()
    {
        // Bind thredo_native first (through the resolver), so the entries library's dependency
        // on libthredo_native.so resolves by SONAME to the same module instead of a second copy
        // from the build tree (a second copy has its own "current fiber" and yield would abort).
        _ = ThredoNative.thredo_fiber_current();
        string file = OperatingSystem.IsWindows() ? "thredo_test_entries.dll" : "libthredo_test_entries.so";
        string path = Path.Combine(AppContext.BaseDirectory, file);
        if (!NativeLibrary.TryLoad(path, out IntPtr handle))
            throw new DllNotFoundException($"'{path}' is missing: build tests/entries with ./build.sh first.");
        return handle;
    }
}

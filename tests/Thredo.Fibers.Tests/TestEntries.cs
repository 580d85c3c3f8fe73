using System.Runtime.InteropServices;

namespace Thredo.Fibers.Tests;

/// <summary>
/// Function pointers into <c>thredo_test_entries</c> (tests/entries): pure-C entry points for native
/// fibers. No managed code ever runs on a native fiber's stack (DESIGN.md, "The one rule").
/// </summary>
internal static class TestEntries
{
    private static readonly Lazy<IntPtr> s_library = new(Load);

    /// <summary><c>intptr_t thredo_test_yield_loop(intptr_t n)</c>: yields n, then (resume value + 1) forever.</summary>
    internal static IntPtr YieldLoop => Export("thredo_test_yield_loop");

    /// <summary><c>intptr_t thredo_test_add_one(intptr_t x)</c>: returns x + 1 at once.</summary>
    internal static IntPtr AddOne => Export("thredo_test_add_one");

    /// <summary><c>intptr_t thredo_test_yield_n(intptr_t n)</c>: yields 1..n, then returns n.</summary>
    internal static IntPtr YieldN => Export("thredo_test_yield_n");

    /// <summary><c>intptr_t thredo_test_sum_until_zero(intptr_t initial)</c>: yields the running sum of resume values; returns it on a 0.</summary>
    internal static IntPtr SumUntilZero => Export("thredo_test_sum_until_zero");

    /// <summary><c>intptr_t thredo_test_current_is_set(intptr_t)</c>: yields, then returns, whether thredo_fiber_current() is set.</summary>
    internal static IntPtr CurrentIsSet => Export("thredo_test_current_is_set");

    /// <summary><c>intptr_t thredo_test_resume_nested(intptr_t fiber)</c>: returns thredo_fiber_resume's result for <paramref name="fiber"/>, called from inside a fiber.</summary>
    internal static IntPtr ResumeNested => Export("thredo_test_resume_nested");

    private static IntPtr Export(string name) => NativeLibrary.GetExport(s_library.Value, name);

    private static IntPtr Load()
    {
        // Load thredo_native through Thredo.Fibers' resolver first. The entries library names
        // libthredo_native.so as a dependency; the dynamic linker then matches it by SONAME to
        // the copy already loaded. Loaded the other way round, the build-tree copy (found via
        // RUNPATH) and the runtimes/ copy would both be mapped, each with its own thread-local
        // "current fiber", and thredo_fiber_yield would abort.
        _ = ThredoNative.thredo_fiber_current();
        string file = OperatingSystem.IsWindows() ? "thredo_test_entries.dll" : "libthredo_test_entries.so";
        string path = Path.Combine(AppContext.BaseDirectory, file);
        if (!NativeLibrary.TryLoad(path, out IntPtr handle))
        {
            throw new DllNotFoundException(
                $"The native test entry points were not found at '{path}'. Build them with ./build.sh " +
                "(CMake target thredo_test_entries, from tests/entries) before building this project.");
        }
        return handle;
    }
}

/// <summary>Paths in the source tree, found by walking up from the test assembly to Thredo.sln.</summary>
internal static class Repo
{
    /// <summary>The directory that holds Thredo.sln.</summary>
    internal static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Thredo.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No Thredo.sln above '{AppContext.BaseDirectory}'.");
    }
}

/// <summary>A fact that runs on Linux only (it reads ELF export tables, or epoll/futex specifics).</summary>
internal sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "Linux only.";
    }
}

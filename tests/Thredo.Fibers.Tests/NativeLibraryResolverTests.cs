using System.Runtime.InteropServices;

namespace Thredo.Fibers.Tests;

/// <summary>Where Thredo.Fibers looks for <c>thredo_native</c>, and what it says when the library is missing.</summary>
public sealed class NativeLibraryResolverTests
{
    [Fact]
    public void Expected_path_is_runtimes_rid_native_next_to_the_assembly()
    {
        string path = NativeLibraryResolver.ExpectedPath;
        string assemblyDir = Path.GetDirectoryName(typeof(NativeLibraryResolver).Assembly.Location)!;
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        string file = OperatingSystem.IsWindows() ? "thredo_native.dll" : OperatingSystem.IsMacOS() ? "libthredo_native.dylib" : "libthredo_native.so";
        Assert.Equal(Path.Combine(assemblyDir, "runtimes", $"{os}-{arch}", "native", file), path);
    }

    [Fact]
    public void Built_library_is_at_the_expected_path()
    {
        Assert.True(File.Exists(NativeLibraryResolver.ExpectedPath),
            $"{NativeLibraryResolver.ExpectedPath} is missing: the csproj copies artifacts/native/** there after ./build.sh");
    }

    [Fact]
    public void Missing_library_throws_DllNotFound_naming_the_path_and_build_sh()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"thredo-missing-{Guid.NewGuid():N}", "libthredo_native.so");
        DllNotFoundException e = Assert.Throws<DllNotFoundException>(() => NativeLibraryResolver.LoadFrom(missing));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("./build.sh", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public unsafe void Imports_resolve_through_the_resolver_to_the_expected_path()
    {
        // thredo_switch_kind returns a static string of the module: the P/Invoke and a call
        // through the export of the library at ExpectedPath return the same address only if the
        // imports were bound to that very module (a second copy would have its own fiber state).
        IntPtr viaImport = (IntPtr)ThredoNative.thredo_switch_kind();
        IntPtr module = NativeLibraryResolver.LoadFrom(NativeLibraryResolver.ExpectedPath);
        var switchKind = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(module, "thredo_switch_kind");
        Assert.Equal(viaImport, (IntPtr)switchKind());
    }
}

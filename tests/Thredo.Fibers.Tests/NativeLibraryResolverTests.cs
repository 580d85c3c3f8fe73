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
    public void Missing_library_throws_DllNotFound_naming_the_path_build_sh_and_the_package()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"thredo-missing-{Guid.NewGuid():N}", "libthredo_native.so");
        DllNotFoundException e = Assert.Throws<DllNotFoundException>(() => NativeLibraryResolver.LoadFrom(missing));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("./build.sh", e.Message, StringComparison.Ordinal);
        Assert.Contains("Thredo package", e.Message, StringComparison.Ordinal);
        Assert.Contains("runtimes/", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Candidates_are_the_portable_layout_then_the_flat_one()
    {
        string dir = Path.Combine(Path.GetTempPath(), "app");
        string file = NativeLibraryResolver.FileName;
        string rid = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(NativeLibraryResolver.ExpectedPath)))!;
        Assert.Equal([Path.Combine(dir, "runtimes", rid, "native", file), Path.Combine(dir, file)], NativeLibraryResolver.CandidatePaths(dir));
    }

    // A RID-specific build or publish (-r linux-x64) copies the package's runtimes/<rid>/native/ asset
    // flat next to the assembly. The test lays one out with a symbolic link to the built library, so
    // the loader returns the module already loaded instead of mapping a second copy.
    [Fact]
    public void Flat_layout_of_a_rid_specific_build_is_found()
    {
        string dir = Directory.CreateTempSubdirectory("thredo-flat-").FullName;
        try
        {
            File.CreateSymbolicLink(Path.Combine(dir, NativeLibraryResolver.FileName), NativeLibraryResolver.ExpectedPath);
            IntPtr loaded = NativeLibraryResolver.Load(dir, typeof(NativeLibraryResolver).Assembly, null);
            Assert.Equal(NativeLibraryResolver.LoadFrom(NativeLibraryResolver.ExpectedPath), loaded);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Portable_layout_is_found_in_any_directory()
    {
        string dir = Directory.CreateTempSubdirectory("thredo-portable-").FullName;
        try
        {
            string path = NativeLibraryResolver.CandidatePaths(dir)[0];
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.CreateSymbolicLink(path, NativeLibraryResolver.ExpectedPath);
            IntPtr loaded = NativeLibraryResolver.Load(dir, typeof(NativeLibraryResolver).Assembly, null);
            Assert.Equal(NativeLibraryResolver.LoadFrom(NativeLibraryResolver.ExpectedPath), loaded);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Neither layout in the folder: the runtime's default probing still finds a library the app
    // ships another way (here: the copy this process has already loaded, matched by name).
    [Fact]
    public void Falls_back_to_default_probing_when_neither_layout_is_there()
    {
        string dir = Directory.CreateTempSubdirectory("thredo-empty-").FullName;
        try
        {
            IntPtr expected = NativeLibraryResolver.LoadFrom(NativeLibraryResolver.ExpectedPath);
            Assert.Equal(expected, NativeLibraryResolver.Load(dir, typeof(NativeLibraryResolver).Assembly, null));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
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

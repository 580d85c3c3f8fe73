using System.Reflection;
using System.Runtime.InteropServices;

namespace Thredo.Fibers.Tests;

/// <summary>
/// The generated imports (ThredoNative.g.cs, checked against the headers by Thredo.BindGen.Tests)
/// all resolve in the library the build produced, so a header function the C side forgot to export,
/// or a stale library, fails here rather than at a user's first call.
/// </summary>
public sealed class BindingTests
{
    private static string LibraryPath =>
        Path.Combine(Repo.Root, "artifacts", "native", "linux-" + Arch, "native", "libthredo_native.so");

    private static string Arch => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "x64";

    [LinuxFact]
    public void Every_import_resolves_in_the_built_library()
    {
        Assert.True(File.Exists(LibraryPath), $"{LibraryPath} does not exist: build the native library with ./build.sh first.");
        IntPtr library = NativeLibrary.Load(LibraryPath);
        try
        {
            string[] missing = Imports().Where(name => !NativeLibrary.TryGetExport(library, name, out _)).Order(StringComparer.Ordinal).ToArray();
            Assert.True(missing.Length == 0, $"{LibraryPath} does not export: {string.Join(", ", missing)}");
        }
        finally
        {
            NativeLibrary.Free(library);
        }
    }

    [Fact]
    public void Every_import_names_thredo_native_and_a_thredo_symbol()
    {
        string[] imports = Imports().ToArray();
        Assert.True(imports.Length >= 40, $"only {imports.Length} imports found");
        Assert.All(imports, name => Assert.StartsWith("thredo_", name, StringComparison.Ordinal));
    }

    /// <summary>Entry points of ThredoNative's imports, read by reflection: what was compiled.</summary>
    private static IEnumerable<string> Imports()
    {
        foreach (MethodInfo method in typeof(ThredoNative).GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
        {
            if (method.GetCustomAttribute<LibraryImportAttribute>() is not LibraryImportAttribute import)
                continue;
            Assert.True(import.LibraryName == NativeLibraryResolver.LibraryName,
                $"ThredoNative.{method.Name} imports from '{import.LibraryName}', not '{NativeLibraryResolver.LibraryName}'");
            yield return import.EntryPoint ?? method.Name;
        }
    }
}

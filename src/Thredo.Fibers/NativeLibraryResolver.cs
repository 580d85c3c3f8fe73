using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>
/// Loads <c>thredo_native</c> from the NuGet-style <c>runtimes/&lt;rid&gt;/native/</c> folder next to
/// this assembly, and fails with a message that says what to do when it is not there.
/// </summary>
internal static class NativeLibraryResolver
{
    /// <summary>The name every <c>LibraryImport</c> in this assembly uses.</summary>
    internal const string LibraryName = "thredo_native";

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The resolver must be in place before the first P/Invoke of this assembly.")]
    internal static void Register() => NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);

    /// <summary>The full path the library is expected at for this process.</summary>
    internal static string ExpectedPath
    {
        get
        {
            string dir = Path.GetDirectoryName(typeof(NativeLibraryResolver).Assembly.Location) is { Length: > 0 } d ? d : AppContext.BaseDirectory;
            return Path.Combine(dir, "runtimes", RuntimeId, "native", FileName);
        }
    }

    private static string FileName =>
        OperatingSystem.IsWindows() ? "thredo_native.dll" :
        OperatingSystem.IsMacOS() ? "libthredo_native.dylib" : "libthredo_native.so";

    private static string RuntimeId
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x64",
                Architecture.Arm64 => "arm64",
                Architecture.X86 => "x86",
                var other => other.ToString().ToLowerInvariant(),
            };
            return $"{os}-{arch}";
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibraryName)
            return IntPtr.Zero;
        return LoadFrom(ExpectedPath);
    }

    /// <summary>Loads the library at <paramref name="path"/>, or throws a <see cref="DllNotFoundException"/> that says how to build it.</summary>
    internal static IntPtr LoadFrom(string path)
    {
        if (NativeLibrary.TryLoad(path, out IntPtr handle))
            return handle;
        throw new DllNotFoundException(MissingLibraryMessage(path));
    }

    /// <summary>The message of the <see cref="DllNotFoundException"/> thrown when the library is not at <paramref name="path"/>.</summary>
    internal static string MissingLibraryMessage(string path) =>
        $"Thredo's native library was not found at '{path}'. Build it with ./build.sh (or build.ps1 on Windows), " +
        "which compiles native/ with CMake and copies the result next to the assembly.";
}

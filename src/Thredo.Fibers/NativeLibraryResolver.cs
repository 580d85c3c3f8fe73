using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thredo.Fibers;

/// <summary>
/// Loads <c>thredo_native</c> from where NuGet and the repository build put it, and fails with a
/// message that says what to do when it is nowhere.
/// </summary>
/// <remarks>
/// The places, in order: <c>runtimes/&lt;rid&gt;/native/</c> next to this assembly (a portable
/// build of a consumer of the package, and the repository's own build); the assembly's folder itself
/// (a RID-specific build or publish, <c>-r linux-x64</c>, copies the asset there flat); then the
/// runtime's default probing (the app's native search directories, the system loader path).
/// </remarks>
internal static class NativeLibraryResolver
{
    /// <summary>The name every <c>LibraryImport</c> in this assembly uses.</summary>
    internal const string LibraryName = "thredo_native";

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The resolver must be in place before the first P/Invoke of this assembly.")]
    internal static void Register() => NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);

    /// <summary>The folder of this assembly (the app's base directory in a single-file app).</summary>
    private static string AssemblyDirectory =>
        Path.GetDirectoryName(typeof(NativeLibraryResolver).Assembly.Location) is { Length: > 0 } d ? d : AppContext.BaseDirectory;

    /// <summary>Where a portable build has the library: <c>runtimes/&lt;rid&gt;/native/</c> next to the assembly.</summary>
    internal static string ExpectedPath => CandidatePaths(AssemblyDirectory)[0];

    /// <summary>The places tried in <paramref name="directory"/>: the portable layout, then the flat one of a RID-specific build.</summary>
    internal static string[] CandidatePaths(string directory) =>
        [Path.Combine(directory, "runtimes", RuntimeId, "native", FileName), Path.Combine(directory, FileName)];

    /// <summary>The file name of the library on this OS.</summary>
    internal static string FileName =>
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
        return Load(AssemblyDirectory, assembly, searchPath);
    }

    /// <summary>
    /// Loads the library from the first of <see cref="CandidatePaths"/> in <paramref name="directory"/>
    /// and the default probing that has it, or throws a <see cref="DllNotFoundException"/> that says what to do.
    /// </summary>
    internal static IntPtr Load(string directory, Assembly assembly, DllImportSearchPath? searchPath)
    {
        string[] paths = CandidatePaths(directory);
        foreach (string path in paths)
        {
            if (NativeLibrary.TryLoad(path, out IntPtr handle))
                return handle;
        }
        return NativeLibrary.TryLoad(LibraryName, assembly, searchPath, out IntPtr found)
            ? found
            : throw new DllNotFoundException(MissingLibraryMessage(paths));
    }

    /// <summary>Loads the library at <paramref name="path"/>, or throws a <see cref="DllNotFoundException"/> that says what to do.</summary>
    internal static IntPtr LoadFrom(string path)
    {
        if (NativeLibrary.TryLoad(path, out IntPtr handle))
            return handle;
        throw new DllNotFoundException(MissingLibraryMessage(path));
    }

    /// <summary>The message of the <see cref="DllNotFoundException"/> thrown when the library is at none of <paramref name="paths"/>.</summary>
    internal static string MissingLibraryMessage(params string[] paths) =>
        $"Thredo's native library {FileName} was not found (looked at '{string.Join("', '", paths)}' and the default search path). " +
        $"From the Thredo package: check that your platform ({RuntimeId}) is one the package ships (linux-x64, linux-arm64, win-x64) " +
        "and that the build copied the package's runtimes/ folder (or, with -r, the library) to the output. " +
        "From the repository: build it with ./build.sh (or build.ps1 on Windows), which compiles native/ with CMake " +
        "and copies the result next to the assembly.";
}

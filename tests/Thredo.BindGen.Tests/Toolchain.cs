using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Thredo.BindGen.Tests;

/// <summary>Where the repository and the C compiler's include directory are.</summary>
internal static class Toolchain
{
    internal static string Repo { get; } = FindRepo();

    /// <summary>What <c>cc -print-file-name=include</c> prints: stddef.h for libclang.</summary>
    internal static string SystemInclude { get; } = CompilerIncludeDirectory("cc") ?? throw new InvalidOperationException(
        "cc -print-file-name=include gave no directory with stddef.h: install a C compiler (gcc)");

    /// <summary>The mingw-w64 compiler's include directory, or null where it is not installed.</summary>
    internal static string? MingwSystemInclude { get; } = CompilerIncludeDirectory("x86_64-w64-mingw32-gcc");

    private static string FindRepo()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Thredo.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No Thredo.sln above '{AppContext.BaseDirectory}'.");
    }

    private static string? CompilerIncludeDirectory(string compiler)
    {
        var start = new ProcessStartInfo(compiler, "-print-file-name=include") { RedirectStandardOutput = true, UseShellExecute = false };
        try
        {
            using Process cc = Process.Start(start)!;
            string dir = cc.StandardOutput.ReadToEnd().Trim();
            cc.WaitForExit();
            return cc.ExitCode == 0 && File.Exists(Path.Combine(dir, "stddef.h")) ? dir : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;   // not installed
        }
    }
}

/// <summary>libclang is bound from libclang.runtime.linux-x64, the one runtime package the registry serves for it.</summary>
internal sealed class LinuxX64FactAttribute : FactAttribute
{
    public LinuxX64FactAttribute()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            Skip = "The generator's libclang package is linux-x64 only; the bindings are checked there.";
    }
}

/// <summary>Linux x64 with mingw-w64 installed (.ci/run installs gcc-mingw-w64-x86-64): its headers are the Windows C library.</summary>
internal sealed class MingwFactAttribute : FactAttribute
{
    public MingwFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            Skip = "The generator's libclang package is linux-x64 only.";
        else if (Toolchain.MingwSystemInclude is null)
            Skip = "x86_64-w64-mingw32-gcc is not installed (apt-get install gcc-mingw-w64-x86-64): it provides the Windows C headers.";
    }
}

/// <summary>As <see cref="LinuxX64FactAttribute"/>, with data.</summary>
internal sealed class LinuxX64TheoryAttribute : TheoryAttribute
{
    public LinuxX64TheoryAttribute()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            Skip = "The generator's libclang package is linux-x64 only; the bindings are checked there.";
    }
}
